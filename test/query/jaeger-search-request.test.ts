// Proves Jaeger's search requests (v3 trace-summaries in snake_case and lowerCamel, v1 /api/traces) become one spanset of the span's service, operation, attributes and duration, with RFC 3339 (v3) and microsecond (v1) bounds and a limit; every bad parameter is ERR_INVALID_ARGUMENT naming it.
import { describe, expect, it } from 'vitest';
import { SEARCH_LIMIT_DEFAULT } from '../../src/constants.js';
import { parseJaegerV1SearchRequest, parseJaegerV3SearchRequest } from '../../src/query/jaeger-search-request.js';
import { parseTraceQl } from '../../src/traceql/index.js';

const v3 = (query: string) => parseJaegerV3SearchRequest(new URLSearchParams(query));
const v1 = (query: string) => parseJaegerV1SearchRequest(new URLSearchParams(query));

function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect((error as { code?: string }).code).toBe('ERR_INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('accepted');
}

const attributes = encodeURIComponent(JSON.stringify({ 'http.status_code': '500', error: 'true' }));
const WANT = parseTraceQl('{ resource.service.name = "cart" && name = "GET /cart" && .http.status_code = "500" && .error = "true" && duration >= 100ms && duration <= 2s }');

describe('parseJaegerV3SearchRequest', () => {
  it('reads every query parameter, snake_case or lowerCamel, into one spanset', () => {
    const snake = v3(
      `query.service_name=cart&query.operation_name=GET%20%2Fcart&query.attributes=${attributes}&query.duration_min=100ms&query.duration_max=2s&query.start_time_min=2026-12-05T10:00:00.5Z&query.start_time_max=2026-12-05T11:00:00Z&query.search_depth=7`,
    );
    expect(snake.query).toEqual(WANT);
    expect(snake.limit).toBe(7);
    const base = BigInt(Date.UTC(2026, 11, 5, 10)) * 1_000_000n;
    expect(snake.bounds).toEqual({ startTimeUnixNano: base + 500_000_000n, endTimeUnixNano: base + 3_600_000_000_000n - 1n });
    const camel = v3(`query.serviceName=cart&query.operationName=GET%20%2Fcart&query.attributes=${attributes}&query.durationMin=100ms&query.durationMax=2s&query.searchDepth=7`);
    expect(camel.query).toEqual(WANT);
  });

  it('keeps nine fraction digits and reads offsets', () => {
    const base = BigInt(Date.UTC(2026, 11, 5, 10)) * 1_000_000n;
    expect(v3('query.start_time_min=2026-12-05T10:00:00.123456789Z').bounds.startTimeUnixNano).toBe(base + 123_456_789n);
    expect(v3('query.start_time_min=2026-12-05T12:30:00%2B02:30').bounds.startTimeUnixNano).toBe(base);
    expect(v3('query.start_time_min=2026-12-05T09:00:00-01:00').bounds.startTimeUnixNano).toBe(base);
  });

  it('with nothing given, matches every trace, the default limit', () => {
    expect(v3('')).toEqual({ query: { type: 'spanset', condition: null }, bounds: {}, limit: SEARCH_LIMIT_DEFAULT });
  });

  it('refuses bad parameters, naming them', () => {
    expect(refusal(() => v3('query.start_time_min=yesterday'))).toMatch(/query.start_time_min got "yesterday"; want RFC 3339/);
    expect(refusal(() => v3('query.start_time_min=2026-02-30T00:00:00Z'))).toMatch(/want RFC 3339/);
    expect(refusal(() => v3('query.start_time_min=2026-12-05T10:00:00.1234567891Z'))).toMatch(/want RFC 3339/);
    expect(refusal(() => v3('query.start_time_min=2026-12-05T11:00:00Z&query.start_time_max=2026-12-05T10:00:00Z'))).toMatch(/ends before it starts/);
    expect(refusal(() => v3('query.attributes=%5B%5D'))).toMatch(/query.attributes got "\[\]"; want a JSON object/);
    expect(refusal(() => v3('query.attributes=%7B%22a%22%3A1%7D'))).toMatch(/key "a" got 1; want a string/);
    expect(refusal(() => v3('query.attributes=%7Bx'))).toMatch(/want a JSON object of strings/);
    expect(refusal(() => v3('query.duration_min=fast'))).toMatch(/query.duration_min got "fast"/);
    expect(refusal(() => v3('query.duration_min=2s&query.duration_max=1s'))).toMatch(/query.duration_min got 2s, over query.duration_max 1s/);
    expect(refusal(() => v3('query.search_depth=0'))).toMatch(/query.search_depth got "0"/);
  });
});

describe('parseJaegerV1SearchRequest', () => {
  it('reads service, operation, tags, durations, microsecond bounds and limit', () => {
    const request = v1(`service=cart&operation=GET%20%2Fcart&tags=${attributes}&minDuration=100ms&maxDuration=2s&start=1764928800000000&end=1764932400000000&limit=20&lookback=1h`);
    expect(request.query).toEqual(WANT);
    expect(request.bounds).toEqual({ startTimeUnixNano: 1_764_928_800_000_000_000n, endTimeUnixNano: 1_764_932_400_000_000_999n });
    expect(request.limit).toBe(20);
  });

  it('refuses bad parameters, naming them', () => {
    expect(refusal(() => v1('start=soon'))).toMatch(/start got "soon"; want Unix microseconds/);
    expect(refusal(() => v1('start=5&end=4'))).toMatch(/ends before it starts/);
    expect(refusal(() => v1('minDuration=1'))).toMatch(/minDuration got "1"/);
    expect(refusal(() => v1('limit=x'))).toMatch(/limit got "x"/);
    expect(refusal(() => v1('tags=nope'))).toMatch(/tags got "nope"/);
  });
});
