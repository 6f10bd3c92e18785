// Proves, over arbitrary valid resources, scopes and spans (fixed seed), that a batch decodes back to exactly the normalized input and that its trailer agrees with the spans.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { decodeBatch, openBatch } from '../../src/batch/decoder.js';
import { traceIdFromInput } from '../../src/batch/ids.js';
import type { AttributeValue, Attributes, ResourceInput, ScopeInput, SpanInput } from '../../src/batch/types.js';
import { expectedResource, expectedScope, expectedSpan, idHex } from '../helpers/expected.js';
import { INT64_MAX, INT64_MIN, U64_MAX } from './samples.js';

const SEED = 20_240_601;
const RUNS = 200;

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 8 }));
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
const int64 = fc.bigInt({ min: INT64_MIN, max: INT64_MAX });

const { anyValue } = fc.letrec<{ anyValue: AttributeValue }>((tie) => ({
  anyValue: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    text,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    int64,
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('anyValue'), { maxLength: 3 }),
    fc.dictionary(text, tie('anyValue'), { maxKeys: 3 }),
  ),
}));
const attributes: fc.Arbitrary<Attributes> = fc.dictionary(fc.oneof(text, fc.constant('__proto__')), anyValue, { maxKeys: 4 });

function nonZeroId(bytes: number): fc.Arbitrary<string | Uint8Array> {
  const raw = fc.uint8Array({ minLength: bytes, maxLength: bytes }).filter((id) => id.some((byte) => byte !== 0));
  return fc.oneof(
    raw,
    raw.map((id) => Buffer.from(id).toString('hex')),
    raw.map((id) => Buffer.from(id).toString('hex').toUpperCase()),
  );
}

/** start + delta when that is a u64, else start + (the int64 nearest −delta), which then always is one. */
function timeFrom(start: bigint, delta: bigint): bigint {
  const time = start + delta;
  if (time >= 0n && time <= U64_MAX) return time;
  return start + (delta === INT64_MIN ? INT64_MAX : -delta);
}

const resource: fc.Arbitrary<ResourceInput> = fc.record(
  { attributes, droppedAttributesCount: u32, schemaUrl: text },
  { requiredKeys: [] },
);
const scope: fc.Arbitrary<ScopeInput> = fc.record(
  { name: text, version: text, attributes, droppedAttributesCount: u32, schemaUrl: text },
  { requiredKeys: [] },
);

const span: fc.Arbitrary<SpanInput> = fc
  .record({
    ids: fc.record({ traceId: nonZeroId(16), spanId: nonZeroId(8) }),
    start: fc.oneof(u64, fc.bigInt({ min: 1_600_000_000_000_000_000n, max: 1_800_000_000_000_000_000n })),
    endDelta: int64,
    eventDeltas: fc.array(int64, { maxLength: 3 }),
    events: fc.array(fc.record({ name: text, attributes, droppedAttributesCount: u32 }, { requiredKeys: ['name'] }), {
      maxLength: 3,
    }),
    rest: fc.record(
      {
        parentSpanId: nonZeroId(8),
        kind: fc.integer({ min: 0, max: 5 }),
        attributes,
        droppedAttributesCount: u32,
        droppedEventsCount: u32,
        links: fc.array(
          fc.record(
            { traceId: nonZeroId(16), spanId: nonZeroId(8), traceState: text, attributes, droppedAttributesCount: u32, flags: u32 },
            { requiredKeys: ['traceId', 'spanId'] },
          ),
          { maxLength: 2 },
        ),
        droppedLinksCount: u32,
        status: fc.record({ code: fc.constantFrom(0 as const, 1 as const, 2 as const), message: text }, { requiredKeys: ['code'] }),
        traceState: text,
        flags: u32,
      },
      { requiredKeys: [] },
    ),
    name: text,
  })
  .map(({ ids, start, endDelta, eventDeltas, events, rest, name }): SpanInput => {
    const input: SpanInput = {
      ...ids,
      name,
      startTimeUnixNano: start,
      endTimeUnixNano: timeFrom(start, endDelta),
      ...rest,
    };
    if (events.length > 0) {
      input.events = events.map((event, i) => ({ ...event, timeUnixNano: timeFrom(start, eventDeltas[i] ?? 0n) }));
    }
    return input;
  });

describe('batch properties', () => {
  it('arbitrary valid spans round-trip', () => {
    fc.assert(
      fc.property(resource, fc.option(scope, { nil: undefined }), fc.array(span, { minLength: 1, maxLength: 6 }), (resourceInput, scopeInput, spans) => {
        const encoder = new BatchEncoder({ resource: resourceInput, scope: scopeInput });
        for (const input of spans) encoder.add(input);
        const byteLength = encoder.byteLength;
        const batch = encoder.finish();
        expect(batch.length).toBe(byteLength);

        const decoded = decodeBatch(batch);
        const wantResource = expectedResource(resourceInput);
        const wantScope = expectedScope(scopeInput);
        expect(decoded.resource).toStrictEqual(wantResource);
        expect(decoded.scope).toStrictEqual(wantScope);
        expect(decoded.spans).toStrictEqual(spans.map((input) => expectedSpan(input, wantResource, wantScope)));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the trailer agrees with the spans', () => {
    fc.assert(
      fc.property(fc.array(span, { minLength: 1, maxLength: 8 }), (spans) => {
        const encoder = new BatchEncoder({ resource: {} });
        for (const input of spans) encoder.add(input);
        const view = openBatch(encoder.finish());
        const starts = spans.map((input) => input.startTimeUnixNano);
        expect(view.header.minStartTimeUnixNano).toBe(starts.reduce((a, b) => (a < b ? a : b)));
        expect(view.header.maxStartTimeUnixNano).toBe(starts.reduce((a, b) => (a > b ? a : b)));
        spans.forEach((input, i) => {
          expect(view.traceIdEquals(i, traceIdFromInput(input.traceId), 0)).toBe(true);
          expect(view.spanIdHex(i)).toBe(idHex(input.spanId, 8));
          expect(view.startTimeUnixNano(i)).toBe(input.startTimeUnixNano);
        });
      }),
      { seed: SEED + 1, numRuns: RUNS },
    );
  });
});
