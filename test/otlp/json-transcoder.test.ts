/** The OTLP JSON transcoder writes the same batches as the protobuf one and ColumnarBatchEncoder, follows the OTLP JSON rules (hex ids, integer or named enums, int64 as string or number, unknown fields ignored), and refuses malformed JSON whole with the path of the problem. */
import { describe, expect, it } from 'vitest';
import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT } from '../../src/constants.js';
import { ColumnarBatchEncoder, decodeBatch } from '../../src/batch/index.js';
import { transcodeJson, transcodeProtobuf } from '../../src/otlp/index.js';
import { exportRequest, exportRequestJson, jsonSpan } from '../../scripts/testkit/otlp-request.js';
import { RICH_RESOURCE, RICH_SCOPE, catchTraceKvError, plainSpan, richSpan } from '../batch/samples.js';
import { readableSpan } from '../../scripts/bench/otlp.js';

const LIMITS = { batchBytesMax: BATCH_BYTES_MAX_DEFAULT, batchSpansMax: BATCH_SPANS_MAX_DEFAULT };
const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('transcodeJson', () => {
  it('writes byte-identical batches to ColumnarBatchEncoder and to the protobuf transcoder for the same spans', () => {
    const spans = [richSpan(), plainSpan(1)];
    const groups = [{ resource: RICH_RESOURCE, scope: RICH_SCOPE, spans }];
    const encoder = new ColumnarBatchEncoder({ resource: RICH_RESOURCE, scope: RICH_SCOPE });
    for (const span of spans) encoder.add(span);
    const expected = Buffer.from(encoder.finish());
    const fromJson = transcodeJson(json(exportRequestJson(groups)), LIMITS);
    expect(fromJson).toMatchObject({ spans: 2, rejectedSpans: 0, errorMessage: '' });
    expect(Buffer.from(fromJson.batches[0]!).equals(expected)).toBe(true);
    expect(Buffer.from(transcodeProtobuf(exportRequest(groups), LIMITS).batches[0]!).equals(expected)).toBe(true);
  });

  it('agrees with the protobuf transcoder on what the OpenTelemetry JS serializers write', () => {
    const resource = resourceFromAttributes({ 'service.name': 'cart', 'host.cpu': 4 });
    const scope = { name: 'lib', version: '1.0.0' };
    const spans = [richSpan({ attributes: { a: 'x', n: 3, f: 0.5, list: ['a', 'b'], yes: true }, events: [{ timeUnixNano: 1_700_000_000_123_456_790n, name: 'e', attributes: { k: 'v' } }] }), plainSpan(2), plainSpan(3)].map((span) => readableSpan(span, resource, scope));
    const protobuf = transcodeProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!, LIMITS);
    const fromJson = transcodeJson(JsonTraceSerializer.serializeRequest(spans)!, LIMITS);
    expect(protobuf.spans).toBe(3);
    expect(fromJson.batches.map((batch) => Buffer.from(batch).toString('hex'))).toEqual(protobuf.batches.map((batch) => Buffer.from(batch).toString('hex')));
    expect(decodeBatch(fromJson.batches[0]!).spans[0]!.attributes).toEqual({ a: 'x', n: 3n, f: 0.5, list: ['a', 'b'], yes: true });
  });

  it('takes enum names, snake_case keys, int64 as numbers, and ignores unknown fields', () => {
    const span = { ...jsonSpan(plainSpan(1)), kind: 'SPAN_KIND_CLIENT', status: { code: 'STATUS_CODE_ERROR', message: 'no' }, mystery: { a: 1 } } as Record<string, unknown>;
    span.start_time_unix_nano = Number(plainSpan(1).startTimeUnixNano);
    delete span.startTimeUnixNano;
    span.attributes = [{ key: 'n', value: { int_value: 5 } }, { key: 'd', value: { doubleValue: 'NaN' } }];
    const result = transcodeJson(json({ resource_spans: [{ scopeSpans: [{ spans: [span] }], future: true }] }), LIMITS);
    expect(result.rejectedSpans).toBe(0);
    const [decoded] = decodeBatch(result.batches[0]!).spans;
    expect(decoded).toMatchObject({ kind: 3, status: { code: 2, message: 'no' }, startTimeUnixNano: plainSpan(1).startTimeUnixNano, attributes: { n: 5n, d: Number.NaN } });
  });

  it('rejects a span with a wrong-length id, a lone surrogate or an intValue past int64, and keeps the others', () => {
    const short = { ...jsonSpan(plainSpan(2)), traceId: 'ab'.repeat(15) };
    const surrogate = { ...jsonSpan(plainSpan(3)), name: 'bad \ud800 name' };
    const bigInt = { ...jsonSpan(plainSpan(4)), attributes: [{ key: 'n', value: { intValue: '9223372036854775808' } }] };
    const result = transcodeJson(json({ resourceSpans: [{ scopeSpans: [{ spans: [jsonSpan(plainSpan(1)), short, surrogate, bigInt] }] }] }), LIMITS);
    expect(result).toMatchObject({ spans: 1, rejectedSpans: 3 });
    expect(result.errorMessage).toMatch(/span 1 of the request: trace_id got 15 bytes; want 16/);
  });

  it('refuses malformed requests whole with the path of the problem', () => {
    const cases: [unknown, RegExp][] = [
      ['not json', /^json: /],
      [[1, 2], /the request got an array; want an object/],
      [{ resourceSpans: {} }, /json\.resourceSpans got an object; want an array/],
      [{ resourceSpans: [{ scopeSpans: [{ spans: [{ ...jsonSpan(plainSpan(1)), traceId: 'xyz0' }] }] }] }, /spans\[0\]\.traceId got "xyz0"; want hex/],
      [{ resourceSpans: [{ scopeSpans: [{ spans: [{ ...jsonSpan(plainSpan(1)), spanId: 'AAECAwQFBgc=' }] }] }] }, /spanId got "AAECAwQFBgc="; want hex/],
      [{ resourceSpans: [{ scopeSpans: [{ spans: [{ ...jsonSpan(plainSpan(1)), name: 5 }] }] }] }, /spans\[0\]\.name got a number; want a string/],
      [{ resourceSpans: [{ scopeSpans: [{ spans: [{ ...jsonSpan(plainSpan(1)), startTimeUnixNano: '1.5' }] }] }] }, /startTimeUnixNano got "1.5"; want an integer/],
    ];
    for (const [body, message] of cases) {
      const error = catchTraceKvError(() => transcodeJson(typeof body === 'string' ? new TextEncoder().encode(body) : json(body), LIMITS));
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message).toMatch(message);
    }
    let deep: unknown = { boolValue: true };
    for (let i = 0; i < 65; i++) deep = { arrayValue: { values: [deep] } };
    const nested = { resourceSpans: [{ scopeSpans: [{ spans: [{ ...jsonSpan(plainSpan(1)), attributes: [{ key: 'deep', value: deep }] }] }] }] };
    expect(catchTraceKvError(() => transcodeJson(json(nested), LIMITS)).message).toMatch(/nested over 64 levels/);
    expect(catchTraceKvError(() => transcodeJson(new Uint8Array([0x7b, 0xff, 0x7d]), LIMITS)).message).toMatch(/not valid UTF-8/);
    expect(transcodeJson(json({}), LIMITS)).toEqual({ batches: [], spans: 0, rejectedSpans: 0, errorMessage: '' });
  });
});
