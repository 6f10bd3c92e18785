// Proves Tempo's search request is read as Tempo reads it: q as TraceQL, the legacy tags (logfmt) with minDuration/maxDuration as one spanset, the old one-parameter-per-tag form, start/end, limit and spss with their defaults and bounds; every bad parameter is ERR_INVALID_ARGUMENT naming it. Go durations and logfmt are checked on their own too.
import { describe, expect, it } from 'vitest';
import { SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SEARCH_SPANS_PER_SPANSET_DEFAULT } from '../../src/constants.js';
import { parseGoDuration } from '../../src/query/go-duration.js';
import { parseLogfmt } from '../../src/query/logfmt.js';
import { parseTempoSearchRequest } from '../../src/query/tempo-search-request.js';
import { parseTraceQl } from '../../src/traceql/index.js';

const read = (query: string) => parseTempoSearchRequest(new URLSearchParams(query));

function refusal(query: string): string {
  try {
    read(query);
  } catch (error) {
    expect((error as { code?: string }).code).toBe('ERR_INVALID_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error(`accepted: ${query}`);
}

describe('parseGoDuration', () => {
  it("reads Go's durations in nanoseconds", () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['300ms', 300e6],
      ['1.5h', 5400e9],
      ['2h45m', 9900e9],
      ['10us', 10e3],
      ['10µs', 10e3],
      ['7ns', 7],
      ['-1.5s', -1.5e9],
      ['+2s', 2e9],
      ['1h1m1s1ms', 3661.001e9],
      ['.5s', 0.5e9],
    ];
    for (const [text, nanos] of cases) expect(parseGoDuration(text), text).toBe(nanos);
  });

  it('refuses what Go refuses', () => {
    for (const text of ['', '1', '1x', 's', '1s ', ' 1s', '1.s.', '--1s', '-', '1 s', '1S']) expect(parseGoDuration(text), text).toBeNull();
  });
});

describe('parseLogfmt', () => {
  it('reads pairs, quoted values with escapes, and bare keys', () => {
    expect(parseLogfmt('service.name=cart http.status_code=500')).toEqual([
      ['service.name', 'cart'],
      ['http.status_code', '500'],
    ]);
    expect(parseLogfmt('  a="b c"   d="e\\"f\\\\" flag ')).toEqual([
      ['a', 'b c'],
      ['d', 'e"f\\'],
      ['flag', ''],
    ]);
    expect(parseLogfmt('')).toEqual([]);
    expect(parseLogfmt('k=')).toEqual([['k', '']]);
  });

  it('names what is not logfmt', () => {
    expect(parseLogfmt('a="b')).toMatch(/no closing quote at 2/);
    expect(parseLogfmt('=b')).toMatch(/a key is missing at 0/);
    expect(parseLogfmt('a=b"c')).toMatch(/unexpected/);
    expect(parseLogfmt('a="\\q"')).toMatch(/unsupported escape/);
    expect(parseLogfmt('a="b"c')).toMatch(/unexpected "c" at 5/);
  });
});

describe('parseTempoSearchRequest', () => {
  it('reads q as TraceQL, with the defaults Grafana relies on', () => {
    const request = read('q=' + encodeURIComponent('{ resource.service.name = "cart" && duration > 500us }'));
    expect(request.query).toEqual(parseTraceQl('{ resource.service.name = "cart" && duration > 500us }'));
    expect(request.limit).toBe(SEARCH_LIMIT_DEFAULT);
    expect(request.spansPerSpanSet).toBe(SEARCH_SPANS_PER_SPANSET_DEFAULT);
    expect(request.bounds).toEqual({});
    expect(read('q=%7B%7D').query).toEqual({ type: 'spanset', condition: null });
  });

  it('reads start and end (Unix seconds) as the trace-by-ID API does, and limit and spss', () => {
    const request = read('q=%7B%7D&start=1700000000&end=1700000060&limit=5&spss=10');
    expect(request.bounds).toEqual({ startTimeUnixNano: 1_700_000_000_000_000_000n, endTimeUnixNano: 1_700_000_061_000_000_000n - 1n });
    expect([request.limit, request.spansPerSpanSet]).toEqual([5, 10]);
  });

  it('reads the legacy tags as one spanset: special labels as intrinsics, other keys as attributes of either scope, durations of the trace', () => {
    const tags = 'service.name=cart name="GET /cart" root.service.name=web root.name=checkout status.code=error http.status_code=500';
    const request = read(`tags=${encodeURIComponent(tags)}&minDuration=100ms&maxDuration=2s`);
    const want = parseTraceQl(
      '{ .service.name = "cart" && name = "GET /cart" && rootServiceName = "web" && rootName = "checkout" && status = error && .http.status_code = 500 && traceDuration >= 100ms && traceDuration <= 2s }',
    );
    expect(request.query).toEqual(want);
    expect(read('tags=' + encodeURIComponent('http.status_code=5xx')).query).toEqual(parseTraceQl('{ .http.status_code = "5xx" }'));
    expect(read('').query).toEqual({ type: 'spanset', condition: null });
  });

  it("reads Grafana's first form, each tag its own parameter, only when there is no q, tags, start or end", () => {
    expect(read('service.name=cart&limit=3').query).toEqual(parseTraceQl('{ .service.name = "cart" }'));
    expect(read('service.name=cart&start=1&end=2').query).toEqual({ type: 'spanset', condition: null });
  });

  it('refuses bad parameters, naming them', () => {
    expect(refusal('q=%7B%7D&tags=a%3Db')).toMatch(/q and tags got both/);
    expect(refusal('q=%7B')).toMatch(/^TraceQL at 1: /);
    expect(refusal('tags=a%3D%22b')).toMatch(/tags is not logfmt: a quoted value with no closing quote/);
    expect(refusal('tags=a%3D1%20a%3D2')).toMatch(/tag "a" got twice/);
    expect(refusal('tags=status.code%3Dbad')).toMatch(/status.code got "bad"/);
    expect(refusal('limit=0')).toMatch(/limit got "0"; want an integer in \[1, 10000\]/);
    expect(refusal(`limit=${SEARCH_LIMIT_MAX + 1}`)).toMatch(/limit got/);
    expect(refusal('spss=x')).toMatch(/spss got "x"/);
    expect(refusal('minDuration=5')).toMatch(/minDuration got "5"; want a duration/);
    expect(refusal('maxDuration=-1s')).toMatch(/maxDuration got "-1s"/);
    expect(refusal('minDuration=2s&maxDuration=1s')).toMatch(/minDuration got 2s, over maxDuration 1s/);
    expect(refusal('q=%7B%7D&minDuration=1s')).toMatch(/go with tags, not q/);
    expect(refusal('start=x')).toMatch(/start got "x"/);
    expect(refusal('start=10&end=5')).toMatch(/start got 10, after end 5/);
  });
});
