/** The OTLP protobuf transcoder writes the same batches ColumnarBatchEncoder writes for the same spans, byte for byte, rejects bad spans alone with a reason, and refuses malformed requests whole. */
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT } from '../../src/constants.js';
import { ColumnarBatchEncoder, decodeBatch } from '../../src/batch/index.js';
import type { ResourceInput, ScopeInput, SpanInput } from '../../src/batch/types.js';
import { transcodeProtobuf } from '../../src/otlp/index.js';
import { ProtoWriter, exportRequest, writeSpan } from '../../scripts/testkit/otlp-request.js';
import { RICH_RESOURCE, RICH_SCOPE, catchTraceKvError, plainSpan, richSpan } from '../batch/samples.js';

const LIMITS = { batchBytesMax: BATCH_BYTES_MAX_DEFAULT, batchSpansMax: BATCH_SPANS_MAX_DEFAULT };

function encoded(resource: ResourceInput, scope: ScopeInput | undefined, spans: SpanInput[]): Uint8Array {
  const encoder = new ColumnarBatchEncoder({ resource, ...(scope !== undefined ? { scope } : {}) });
  for (const span of spans) encoder.add(span);
  return encoder.finish();
}

describe('transcodeProtobuf', () => {
  it('writes byte-identical batches to ColumnarBatchEncoder for a span using every field', () => {
    const spans = [richSpan(), plainSpan(1), richSpan({ spanId: '0102030405060708', kind: 0, status: { code: 0 }, events: [], links: [] })];
    const result = transcodeProtobuf(exportRequest([{ resource: RICH_RESOURCE, scope: RICH_SCOPE, spans }]), LIMITS);
    expect(result).toMatchObject({ spans: 3, rejectedSpans: 0, errorMessage: '' });
    expect(result.batches).toHaveLength(1);
    expect(Buffer.from(result.batches[0]!).equals(Buffer.from(encoded(RICH_RESOURCE, RICH_SCOPE, spans)))).toBe(true);
  });

  it('writes the same bytes when lengths take more than one byte: long names, attribute values, trace state, status message', () => {
    const long = (char: string, length: number) => char.repeat(length);
    const spans = [
      richSpan({ name: long('n', 200), traceState: `k=${long('v', 150)}`, status: { code: 2, message: long('m', 130) }, attributes: { [long('k', 140)]: long('x', 300), short: 'y', empty: '' } }),
      plainSpan(2),
      richSpan({ spanId: '0a0b0c0d0e0f0102', status: { code: 0 } }),
    ];
    const result = transcodeProtobuf(exportRequest([{ resource: RICH_RESOURCE, scope: RICH_SCOPE, spans }]), LIMITS);
    expect(result).toMatchObject({ spans: 3, rejectedSpans: 0, errorMessage: '' });
    expect(Buffer.from(result.batches[0]!).equals(Buffer.from(encoded(RICH_RESOURCE, RICH_SCOPE, spans)))).toBe(true);
  });

  it('makes one batch per resource and scope group, and an empty request makes none', () => {
    const a = { resource: { attributes: { 'service.name': 'a' } }, spans: [plainSpan(0), plainSpan(1)] };
    const b = { resource: { attributes: { 'service.name': 'b' } }, scope: { name: 'lib' }, spans: [plainSpan(2)] };
    const result = transcodeProtobuf(exportRequest([a, b, { spans: [] }]), LIMITS);
    expect(result.spans).toBe(3);
    expect(result.batches.map((batch) => decodeBatch(batch).spans.map((span) => span.name))).toEqual([['span-0', 'span-1'], ['span-2']]);
    expect(decodeBatch(result.batches[1]!).scope.name).toBe('lib');
    expect(transcodeProtobuf(new Uint8Array(0), LIMITS)).toEqual({ batches: [], spans: 0, rejectedSpans: 0, errorMessage: '' });
  });

  it('cuts a group into several batches at batchSpansMax and batchBytesMax', () => {
    const spans = Array.from({ length: 25 }, (_, i) => plainSpan(i));
    const bySpans = transcodeProtobuf(exportRequest([{ spans }]), { ...LIMITS, batchSpansMax: 10 });
    expect(bySpans.batches.map((batch) => decodeBatch(batch).spans.length)).toEqual([10, 10, 5]);
    const byBytes = transcodeProtobuf(exportRequest([{ spans }]), { ...LIMITS, batchBytesMax: 400 });
    expect(byBytes.batches.length).toBeGreaterThan(3);
    expect(byBytes.batches.every((batch) => batch.length <= 400)).toBe(true);
    expect(byBytes.batches.flatMap((batch) => decodeBatch(batch).spans.map((span) => span.name))).toEqual(spans.map((span) => span.name));
  });

  it('moves a span whose attributes filled its batch into the next one, and rejects one that fits no batch', () => {
    // Attributes go straight into the batch's columns: a span that then does not fit is transcoded again.
    const spans = Array.from({ length: 6 }, (_, i) => ({ ...plainSpan(i), attributes: { pad: `${i}`.padEnd(i === 3 ? 3000 : 300, 'p') } }));
    const result = transcodeProtobuf(exportRequest([{ spans }]), { ...LIMITS, batchBytesMax: 1500 });
    expect(result.rejectedSpans).toBe(1);
    expect(result.errorMessage).toMatch(/^span 3 of the request: encoded span of \d+ bytes and its attributes do not fit a batch of batchBytesMax 1500$/);
    expect(result.batches.every((batch) => batch.length <= 1500)).toBe(true);
    expect(result.batches.length).toBeGreaterThan(1);
    const stored = result.batches.flatMap((batch) => decodeBatch(batch).spans);
    expect(stored.map((span) => span.name)).toEqual(['span-0', 'span-1', 'span-2', 'span-4', 'span-5']);
    expect(stored.map((span) => span.attributes.pad)).toEqual([0, 1, 2, 4, 5].map((i) => `${i}`.padEnd(300, 'p')));
  });

  it('reads fields in any order, skips unknown fields of every wire type, and lets the last oneof value win', () => {
    const span = plainSpan(7);
    const w = new ProtoWriter();
    w.message(1, (rs) =>
      rs.message(2, (ss) =>
        ss.message(2, (s) => {
          s.uint(99, 5).fixed64(8, span.endTimeUnixNano).fixed32(98, 1).string(5, span.name).string(97, 'x');
          s.message(9, (kv) => kv.message(2, (v) => v.string(1, 'first').uint(3, 42)).string(1, 'answer').double(96, 1));
          s.fixed64(7, span.startTimeUnixNano).bytesField(2, Buffer.from(span.spanId as string, 'hex')).bytesField(1, Buffer.from(span.traceId as string, 'hex'));
        }),
      ),
    );
    const result = transcodeProtobuf(w.bytes, LIMITS);
    expect(result.rejectedSpans).toBe(0);
    const [decoded] = decodeBatch(result.batches[0]!).spans;
    expect(decoded).toMatchObject({ name: span.name, startTimeUnixNano: span.startTimeUnixNano, endTimeUnixNano: span.endTimeUnixNano, attributes: { answer: 42n } });
  });

  it('leaves out each invalid span with a reason and keeps the rest', () => {
    const good = plainSpan(1);
    const cases: [Partial<SpanInput> | ((w: ProtoWriter) => void), RegExp][] = [
      [{ traceId: new Uint8Array(15).fill(1) }, /trace_id got 15 bytes; want 16/],
      [{ traceId: new Uint8Array(16) }, /trace_id got all zeros/],
      [{ spanId: new Uint8Array(8) }, /span_id got all zeros/],
      [{ parentSpanId: new Uint8Array(3).fill(1) }, /parent_span_id got 3 bytes/],
      [{ kind: 9 }, /kind got 9/],
      [{ status: { code: 7 as 0 } }, /status.code got 7/],
      [{ startTimeUnixNano: 0n, endTimeUnixNano: (1n << 64n) - 1n }, /does not fit an int64/],
    ];
    for (const [change, reason] of cases) {
      const bad = typeof change === 'function' ? good : { ...plainSpan(2), ...change };
      const result = transcodeProtobuf(exportRequest([{ spans: [good, bad, plainSpan(3)] }]), LIMITS);
      expect(result.rejectedSpans, String(reason)).toBe(1);
      expect(result.errorMessage).toMatch(reason);
      expect(result.errorMessage).toMatch(/^span 1 of the request/);
      expect(decodeBatch(result.batches[0]!).spans.map((span) => span.name)).toEqual(['span-1', 'span-3']);
    }
  });

  it('rejects a span with invalid UTF-8 in its name, an attribute key or value, and every span of a resource with it', () => {
    const bad = new Uint8Array([0x61, 0xed, 0xa0, 0x80]); // "a" then an encoded surrogate
    const spanWith = (edit: (s: ProtoWriter) => void) => {
      const w = new ProtoWriter();
      w.message(1, (rs) => rs.message(2, (ss) => ss.message(2, (s) => {
        writeSpan(s, plainSpan(1));
        edit(s);
      })));
      return w.bytes;
    };
    expect(transcodeProtobuf(spanWith((s) => s.bytesField(5, bad)), LIMITS).errorMessage).toMatch(/name is not valid UTF-8/);
    expect(transcodeProtobuf(spanWith((s) => s.message(9, (kv) => kv.bytesField(1, bad).message(2, (v) => v.uint(2, 1)))), LIMITS).errorMessage).toMatch(/attribute key is not valid UTF-8/);
    expect(transcodeProtobuf(spanWith((s) => s.message(9, (kv) => kv.string(1, 'k').message(2, (v) => v.bytesField(1, bad)))), LIMITS).errorMessage).toMatch(/string_value is not valid UTF-8/);
    const w = new ProtoWriter();
    w.message(1, (rs) => {
      rs.message(1, (r) => r.message(1, (kv) => kv.string(1, 'service.name').message(2, (v) => v.bytesField(1, bad))));
      rs.message(2, (ss) => [plainSpan(1), plainSpan(2)].forEach((span) => ss.message(2, (s) => writeSpan(s, span))));
    });
    const result = transcodeProtobuf(w.bytes, LIMITS);
    expect(result).toMatchObject({ spans: 0, rejectedSpans: 2, batches: [] });
    expect(result.errorMessage).toMatch(/resource attribute string_value is not valid UTF-8/);
  });

  it('drops an attribute with an empty AnyValue and counts it, and drops a link without valid ids and counts it', () => {
    const w = new ProtoWriter();
    w.message(1, (rs) => rs.message(2, (ss) => ss.message(2, (s) => {
      writeSpan(s, { ...plainSpan(1), droppedAttributesCount: 1, droppedLinksCount: 2 });
      s.message(9, (kv) => kv.string(1, 'empty'));
      s.message(9, (kv) => kv.string(1, 'kept').message(2, (v) => v.uint(2, 1)));
      s.message(13, (link) => link.bytesField(1, new Uint8Array(16)).bytesField(2, new Uint8Array(8).fill(1)));
    })));
    const [span] = decodeBatch(transcodeProtobuf(w.bytes, LIMITS).batches[0]!).spans;
    expect(span).toMatchObject({ attributes: { kept: true }, droppedAttributesCount: 2, links: [], droppedLinksCount: 3 });
  });

  it('refuses malformed requests whole: truncation, a wrong wire type, nesting past the format', () => {
    const request = exportRequest([{ resource: RICH_RESOURCE, scope: RICH_SCOPE, spans: [richSpan()] }]);
    for (let cut = 1; cut < request.length; cut += 7) {
      const error = catchTraceKvError(() => transcodeProtobuf(request.subarray(0, cut), LIMITS));
      expect(error.code).toBe('ERR_INVALID_ARGUMENT');
      expect(error.message).toMatch(/^protobuf/);
    }
    const wrongWire = new ProtoWriter().message(1, (rs) => rs.message(2, (ss) => ss.message(2, (s) => s.uint(1, 5)))).bytes;
    expect(catchTraceKvError(() => transcodeProtobuf(wrongWire, LIMITS)).message).toMatch(/Span.trace_id \(field 1\) wire type got 0; want 2/);
    const nested = (depth: number) => {
      let value = new ProtoWriter().uint(2, 1).bytes;
      for (let i = 0; i < depth; i++) value = new ProtoWriter().message(5, (array) => array.bytesField(1, value)).bytes;
      const w = new ProtoWriter();
      w.message(1, (rs) => rs.message(2, (ss) => ss.message(2, (s) => {
        writeSpan(s, plainSpan(1));
        s.message(9, (kv) => kv.string(1, 'deep').bytesField(2, value));
      })));
      return w.bytes;
    };
    expect(transcodeProtobuf(nested(64), LIMITS).spans).toBe(1);
    expect(catchTraceKvError(() => transcodeProtobuf(nested(65), LIMITS)).message).toMatch(/nested over 64 levels/);
    expect(catchTraceKvError(() => transcodeProtobuf(nested(200), LIMITS)).code).toBe('ERR_INVALID_ARGUMENT');
  });
});
