// Proves the query faces' JSON writer loses nothing and keeps both dialects in step: over arbitrary valid spans (fixed seed), a stored batch written as OTLP JSON transcodes back into the very same batch bytes, and Tempo's proto JSON is that same JSON with base64 ids and enum names, member for member; non-finite doubles, 64-bit extremes, bytes and empty lists and maps are spelled as proto JSON spells them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT } from '../../src/constants.js';
import { decodeBatch } from '../../src/batch/index.js';
import { transcodeJson } from '../../src/otlp/index.js';
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES } from '../../src/otlp/otlp-fields.js';
import { resourceSpansJson, type JsonDialect } from '../../src/query/index.js';
import type { Span } from '../../src/batch/types.js';
import { resource, scope, span, storedBatch } from '../helpers/span-arbitraries.js';

const SEED = 20_261_206;
const RUNS = 300;
const LIMITS = { batchBytesMax: BATCH_BYTES_MAX_DEFAULT, batchSpansMax: BATCH_SPANS_MAX_DEFAULT };
const batches = fc.tuple(resource, fc.option(scope, { nil: undefined }), fc.array(span, { minLength: 1, maxLength: 5 })).map(([r, s, spans]) => storedBatch(r, s, spans));

type Json = Record<string, unknown>;
/** What the query server writes: the writer's objects through JSON.stringify. */
const jsonText = (spans: readonly Span[], dialect: JsonDialect) => JSON.stringify(resourceSpansJson(spans, dialect));
const base64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const nameOf = (names: Readonly<Record<number, string>>, value: unknown) => names[value as number] ?? value;

/** OTLP JSON → what Tempo's dialect should be: ids in base64, span kind and status code by name. */
function asTempo(resourceSpans: Json[]): Json[] {
  return resourceSpans.map((group) => ({
    ...group,
    scopeSpans: (group.scopeSpans as Json[]).map((scoped) => ({
      ...scoped,
      spans: (scoped.spans as Json[]).map((s) => {
        const out: Json = { ...s, traceId: base64(s.traceId as string), spanId: base64(s.spanId as string) };
        if (s.parentSpanId !== undefined) out.parentSpanId = base64(s.parentSpanId as string);
        if (s.kind !== undefined) out.kind = nameOf(SPAN_KIND_NAMES, s.kind);
        const status = { ...(s.status as Json) };
        if (status.code !== undefined) status.code = nameOf(STATUS_CODE_NAMES, status.code);
        out.status = status;
        if (s.links !== undefined) out.links = (s.links as Json[]).map((link) => ({ ...link, traceId: base64(link.traceId as string), spanId: base64(link.spanId as string) }));
        return out;
      }),
    })),
  }));
}

describe('resourceSpansJson', () => {
  it('OTLP JSON of stored spans → the OTLP/HTTP JSON transcoder gives back the stored batch, byte for byte', () => {
    fc.assert(
      fc.property(batches, (batch) => {
        const text = jsonText(decodeBatch(batch).spans, 'otlp');
        const again = transcodeJson(Buffer.from(`{"resourceSpans":${text}}`), LIMITS);
        expect(again.errorMessage).toBe('');
        expect(again.batches.map((b) => Buffer.from(b).toString('hex'))).toEqual([Buffer.from(batch).toString('hex')]);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("Tempo's dialect is the OTLP JSON with base64 ids and enum names, member for member and in the same order", () => {
    fc.assert(
      fc.property(batches, (batch) => {
        const spans = decodeBatch(batch).spans;
        const otlp = JSON.parse(jsonText(spans, 'otlp')) as Json[];
        // Compared as text: the member order is part of what is pinned.
        expect(jsonText(spans, 'tempo')).toBe(JSON.stringify(asTempo(otlp)));
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });

  it('spells what JSON cannot hold as proto JSON does', () => {
    const batch = storedBatch({ attributes: { 'service.name': 'a"b\\c\n\u2028\u0000' } }, undefined, [
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        name: '</script>"',
        kind: 2,
        startTimeUnixNano: 18_446_744_073_709_551_615n,
        endTimeUnixNano: 18_446_744_073_709_551_615n,
        attributes: { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, ninf: Number.NEGATIVE_INFINITY, zero: -0, big: -9_223_372_036_854_775_808n, bytes: new Uint8Array([0xfb, 0xff]), none: [], map: {} },
        status: { code: 2, message: 'x' },
      },
    ]);
    const [group] = JSON.parse(jsonText(decodeBatch(batch).spans, 'tempo')) as Json[];
    expect(group!.resource).toEqual({ attributes: [{ key: 'service.name', value: { stringValue: 'a"b\\c\n\u2028\u0000' } }] });
    const [s] = ((group!.scopeSpans as Json[])[0]!.spans as Json[]);
    expect(s).toEqual({
      traceId: 'CvdlGRbNQ92ESOshHIAxnA==',
      spanId: 't61rcWkgMzE=',
      name: '</script>"',
      kind: 'SPAN_KIND_SERVER',
      startTimeUnixNano: '18446744073709551615',
      endTimeUnixNano: '18446744073709551615',
      attributes: [
        { key: 'nan', value: { doubleValue: 'NaN' } },
        { key: 'inf', value: { doubleValue: 'Infinity' } },
        { key: 'ninf', value: { doubleValue: '-Infinity' } },
        { key: 'zero', value: { doubleValue: 0 } },
        { key: 'big', value: { intValue: '-9223372036854775808' } },
        { key: 'bytes', value: { bytesValue: '+/8=' } },
        { key: 'none', value: { arrayValue: { values: [] } } },
        { key: 'map', value: { kvlistValue: { values: [] } } },
      ],
      status: { message: 'x', code: 'STATUS_CODE_ERROR' },
    });
  });
});
