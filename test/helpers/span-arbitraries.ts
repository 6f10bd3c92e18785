/** fast-check arbitraries of valid batch inputs: resources, scopes and spans using every field and value kind. */
import fc from 'fast-check';
import { ColumnarBatchEncoder } from '../../src/batch/index.js';
import type { AttributeValue, Attributes, ResourceInput, ScopeInput, SpanInput } from '../../src/batch/types.js';
import { INT64_MAX, INT64_MIN, U64_MAX } from '../batch/samples.js';

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

export const resource: fc.Arbitrary<ResourceInput> = fc.record(
  { attributes, droppedAttributesCount: u32, schemaUrl: text },
  { requiredKeys: [] },
);
export const scope: fc.Arbitrary<ScopeInput> = fc.record(
  { name: text, version: text, attributes, droppedAttributesCount: u32, schemaUrl: text },
  { requiredKeys: [] },
);

export const span: fc.Arbitrary<SpanInput> = fc
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

/** What the store holds for a group sent over OTLP: ColumnarBatchEncoder's batch (the receivers write version 2). Empty strings are what OTLP cannot tell from absent (§7.1), so the arbitraries' '' is absent here. */
export function storedBatch(resourceInput: ResourceInput, scopeInput: ScopeInput | undefined, spans: SpanInput[]): Uint8Array {
  const resourceWant = { ...resourceInput };
  if (resourceWant.schemaUrl === '') delete resourceWant.schemaUrl;
  let scopeWant = scopeInput === undefined ? undefined : { ...scopeInput };
  if (scopeWant !== undefined) for (const key of ['name', 'version', 'schemaUrl'] as const) if (scopeWant[key] === '') delete scopeWant[key];
  if (scopeWant !== undefined && Object.keys(scopeWant).length === 0) scopeWant = undefined;
  const encoder = new ColumnarBatchEncoder({ resource: resourceWant, ...(scopeWant !== undefined ? { scope: scopeWant } : {}) });
  for (const input of spans) {
    const copy = { ...input, ...(input.links !== undefined ? { links: input.links.map((link) => (link.traceState === '' ? { ...link, traceState: undefined } : link)) } : {}) };
    if (copy.traceState === '') delete copy.traceState;
    encoder.add(copy);
  }
  return encoder.finish();
}

/** Spans of up to four traces, interleaved, each parent picked among the batch's span ids, an outside id, or none. */
export const batchInput = fc
  .record({
    resource,
    scope: fc.option(scope, { nil: undefined }),
    traceIds: fc.uniqueArray(fc.uint8Array({ minLength: 16, maxLength: 16 }).filter((id) => id.some((b) => b !== 0)), { minLength: 1, maxLength: 4, selector: (id) => Buffer.from(id).toString('hex') }),
    spans: fc.array(fc.record({ span, trace: fc.nat(), parent: fc.oneof(fc.constant(-1), fc.constant(-2), fc.nat()) }), { minLength: 1, maxLength: 12 }),
  })
  .map(({ resource: r, scope: s, traceIds, spans }) => {
    const inputs: SpanInput[] = spans.map(({ span: base, trace }) => ({ ...base, traceId: traceIds[trace % traceIds.length]! }));
    spans.forEach(({ parent }, i) => {
      const input = inputs[i]!;
      if (parent === -1) delete input.parentSpanId;
      else if (parent >= 0) input.parentSpanId = inputs[parent % inputs.length]!.spanId;
      // -2 keeps the arbitrary's own (outside) parent id, if it drew one.
    });
    return { resource: r, scope: s, spans: inputs };
  });
