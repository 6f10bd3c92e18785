// Proves that spans using every field of the model come back from a batch exactly as normalized, and that one encoder builds many correct batches.
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { decodeBatch } from '../../src/batch/decoder.js';
import { validateBatch } from '../../src/batch/validate.js';
import { decodeSpanRecord, encodeSpanRecord } from '../../src/batch/span-codec.js';
import { decodeCommon, encodeCommon } from '../../src/batch/common.js';
import type { Attributes, SpanInput } from '../../src/batch/types.js';
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../../src/constants.js';
import { expectedResource, expectedScope, expectedSpan } from '../helpers/expected.js';
import { RICH_RESOURCE, RICH_SCOPE, U64_MAX, plainSpan, richSpan } from './samples.js';

const LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };

describe('batch round trip', () => {
  it('returns rich spans exactly as normalized', () => {
    const encoder = new BatchEncoder({ resource: RICH_RESOURCE, scope: RICH_SCOPE });
    const inputs: SpanInput[] = [
      richSpan(),
      richSpan({ spanId: '1111111111111111', status: { code: 1 }, kind: 5 }),
      plainSpan(7),
      { ...plainSpan(8), flags: 0, traceState: '', status: { code: 0, message: 'unset but explained' } },
    ];
    for (const span of inputs) encoder.add(span);
    const expectedByteLength = encoder.byteLength;
    const batch = encoder.finish();
    expect(batch.length).toBe(expectedByteLength);

    const decoded = decodeBatch(batch);
    const resource = expectedResource(RICH_RESOURCE);
    const scope = expectedScope(RICH_SCOPE);
    expect(decoded.resource).toStrictEqual(resource);
    expect(decoded.scope).toStrictEqual(scope);
    expect(decoded.spans).toStrictEqual(inputs.map((span) => expectedSpan(span, resource, scope)));
  });

  it('leaves absent optional fields off the decoded span rather than setting them to undefined', () => {
    const encoder = new BatchEncoder({ resource: {} });
    encoder.add(plainSpan(0));
    const [span] = decodeBatch(encoder.finish()).spans;
    for (const key of ['parentSpanId', 'traceState', 'flags']) expect(Object.hasOwn(span, key)).toBe(false);
    expect(span.status).toStrictEqual({ code: 0 });
    expect(Object.hasOwn(span.status, 'message')).toBe(false);
    expect(span.resource).toStrictEqual({ attributes: {}, droppedAttributesCount: 0 });
    expect(span.scope).toStrictEqual({ attributes: {}, droppedAttributesCount: 0 });
  });

  it('decodes bytes as plain Uint8Array and attribute maps as plain objects', () => {
    const encoder = new BatchEncoder({ resource: {} });
    const window = new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4);
    encoder.add({ ...plainSpan(0), attributes: { b: Buffer.from([1, 2]), m: { k: 'v' }, window } });
    const [span] = decodeBatch(encoder.finish()).spans;
    expect(span.attributes.window).toStrictEqual(new Uint8Array([8, 7, 6]));
    expect(Object.getPrototypeOf(span.attributes.b)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(span.attributes)).toBe(Object.prototype);
    expect(Object.getPrototypeOf(span.attributes.m)).toBe(Object.prototype);
  });

  it('keeps a "__proto__" attribute key as data', () => {
    const attributes = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Attributes;
    const encoder = new BatchEncoder({ resource: { attributes } });
    encoder.add({ ...plainSpan(0), attributes });
    const decoded = decodeBatch(encoder.finish());
    for (const decodedAttributes of [decoded.resource.attributes, decoded.spans[0].attributes]) {
      expect(Object.keys(decodedAttributes)).toStrictEqual(['__proto__', 'ok']);
      expect(Object.getPrototypeOf(decodedAttributes)).toBe(Object.prototype);
      expect(decodedAttributes['__proto__']).toStrictEqual({ polluted: true });
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('carries times at the ends of the u64 range and negative offsets', () => {
    const encoder = new BatchEncoder({ resource: {} });
    const spans: SpanInput[] = [
      { ...plainSpan(0), startTimeUnixNano: 0n, endTimeUnixNano: 1n << 62n },
      { ...plainSpan(1), startTimeUnixNano: U64_MAX, endTimeUnixNano: U64_MAX - (1n << 63n) },
      { ...plainSpan(2), startTimeUnixNano: 1n << 63n, endTimeUnixNano: 0n, events: [{ timeUnixNano: U64_MAX, name: 'e' }] },
      { ...plainSpan(3), startTimeUnixNano: 5n, endTimeUnixNano: 4n },
    ];
    for (const span of spans) encoder.add(span);
    const batch = encoder.finish();
    const header = validateBatch(batch, LIMITS);
    expect(header.minStartTimeUnixNano).toBe(0n);
    expect(header.maxStartTimeUnixNano).toBe(U64_MAX);
    const decoded = decodeBatch(batch);
    expect(decoded.spans).toStrictEqual(spans.map((span) => expectedSpan(span, decoded.resource, decoded.scope)));
  });

  it('builds several correct batches from one encoder', () => {
    const encoder = new BatchEncoder({ resource: RICH_RESOURCE, scope: RICH_SCOPE });
    const resource = expectedResource(RICH_RESOURCE);
    const scope = expectedScope(RICH_SCOPE);
    for (let round = 0; round < 3; round++) {
      const spans = Array.from({ length: 5 + round * 40 }, (_, i) => plainSpan(i + round * 1000, BigInt(round) * 1_000_000n));
      for (const span of spans) encoder.add(span);
      expect(encoder.spanCount).toBe(spans.length);
      const batch = encoder.finish();
      expect(encoder.spanCount).toBe(0);
      const decoded = decodeBatch(batch);
      expect(decoded.spans).toStrictEqual(spans.map((span) => expectedSpan(span, resource, scope)));
      const header = validateBatch(batch, LIMITS);
      expect(header.minStartTimeUnixNano).toBe(spans[0].startTimeUnixNano);
      expect(header.maxStartTimeUnixNano).toBe(spans.at(-1)!.startTimeUnixNano);
    }
  });

  it('grows its buffers past their initial sizes', () => {
    const encoder = new BatchEncoder({ resource: {} });
    const big = 'x'.repeat(10_000);
    const spans = Array.from({ length: 700 }, (_, i) => ({ ...plainSpan(i), attributes: { big } }));
    for (const span of spans) encoder.add(span);
    const decoded = decodeBatch(encoder.finish());
    expect(decoded.spans).toStrictEqual(spans.map((span) => expectedSpan(span, decoded.resource, decoded.scope)));
  });

  it('reset() drops added spans', () => {
    const encoder = new BatchEncoder({ resource: {} });
    const empty = encoder.byteLength;
    encoder.add(plainSpan(0));
    encoder.reset();
    expect(encoder.spanCount).toBe(0);
    expect(encoder.byteLength).toBe(empty);
    encoder.add(plainSpan(1));
    expect(decodeBatch(encoder.finish()).spans.map((span) => span.name)).toStrictEqual(['span-1']);
  });

  it('omits trailing defaults: a minimal span record is name, kind 0, nil parent, then the duration', () => {
    const record = encodeSpanRecord({ ...plainSpan(0), name: 'a' });
    // fixarray(4) "a" 0 nil 1000 (uint16)
    expect(Buffer.from(record).toString('hex')).toBe('94a16100c0cd03e8');
    expect(Buffer.from(encodeSpanRecord({ ...plainSpan(0), name: 'a', endTimeUnixNano: plainSpan(0).startTimeUnixNano })).toString('hex')).toBe('91a161');
    expect(Buffer.from(encodeCommon({}, undefined)).toString('hex')).toBe('90');
  });

  it('writes a bigint attribute as int64 (0xd3) and an integral number as a plain integer (§2.5 AnyValue)', () => {
    const common = (value: unknown) => Buffer.from(encodeCommon({ attributes: { v: value as bigint } }, undefined)).toString('hex');
    // fixarray(1) fixmap(1) "v" then the value
    expect(common(1n)).toBe('9181a176d30000000000000001');
    expect(common(2n ** 63n - 1n)).toBe('9181a176d37fffffffffffffff');
    expect(common(1)).toBe('9181a17601');
    expect(common(2 ** 40)).toBe('9181a176cb4270000000000000');
    const decoded = decodeCommon(Buffer.from('9281a176cf000000000000000201', 'hex'));
    expect(decoded.resource.attributes.v).toBe(2n);
  });

  it('decodes span records and common sections directly', () => {
    const record = encodeSpanRecord(richSpan());
    const common = decodeCommon(encodeCommon(RICH_RESOURCE, RICH_SCOPE));
    const input = richSpan();
    const span = decodeSpanRecord(
      record,
      '0af7651916cd43dd8448eb211c80319c',
      'b7ad6b7169203331',
      input.startTimeUnixNano,
      common.resource,
      common.scope,
    );
    expect(span).toStrictEqual(expectedSpan(input, common.resource, common.scope));
  });
});
