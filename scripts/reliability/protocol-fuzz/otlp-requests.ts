/**
 * Well-formed OTLP export requests for the protocol fuzz, from the span model: one to a few
 * resource and scope groups, spans with every field a trace UI shows (attributes of every value
 * shape, events, links, status, trace state, flags, dropped counts). Each request draws trace ids
 * of its own from the seeded generator, so what a request stored can be told apart from what any
 * other stored when the ledger is checked. Some requests carry a span the format cannot hold (an
 * all-zero trace id), which the receivers leave out and report in partial_success.
 */
import type { Attributes, AttributeValue, SpanInput } from '../../../src/batch/types.js';
import type { Rng } from '../../../src/workload/rng.js';
import type { RequestGroup } from '../../testkit/otlp-request.js';

/** Groups per request: several, so requests cut into several batches. */
const GROUPS_PER_REQUEST_MAX = 3;
/** Spans per group: small requests keep the fuzz fast; the 65,536-span request is a hostile case of its own. */
const SPANS_PER_GROUP_MAX = 6;
/** Traces per request: spans of a request share a few traces, as an SDK's batch does. */
const TRACES_PER_REQUEST_MAX = 3;
/** Share of requests with one span that has an all-zero trace id: partial_success must count it. */
const REJECTED_SPAN_SHARE = 0.15;
/** Start of the fuzz's span times (2023-11-14), spans ms apart. */
/** Where every generated span's start time lies, at or after (the large request's start here, one ns apart). */
export const START_TIME_UNIX_NANO = 1_700_000_000_000_000_000n;

export interface OtlpRequestSpec {
  groups: RequestGroup[];
  /** The trace ids the request's spans use, in hex: the ledger's keys for what the request may store. */
  traceIdsHex: string[];
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function scalar(rng: Rng): AttributeValue {
  switch (rng.int(6)) {
    case 0:
      return `v${rng.int(1000)}`;
    case 1:
      return rng.next() < 0.5;
    case 2:
      return BigInt(rng.int(1 << 30)) * (rng.next() < 0.5 ? -1n : 1n) * 1_000_003n;
    case 3:
      return pick(rng, [0.5, -1.25, 1e300, Number.NaN, Number.POSITIVE_INFINITY, rng.next()]);
    case 4:
      return rng.bytes(rng.int(8));
    default:
      return pick(rng, ['', 'ünïcødé ✓', 'a'.repeat(200)]);
  }
}

function attributeValue(rng: Rng, depth: number): AttributeValue {
  const shape = depth >= 2 ? 0 : rng.int(5);
  if (shape === 3) return Array.from({ length: rng.int(4) }, () => attributeValue(rng, depth + 1));
  if (shape === 4) return attributes(rng, depth + 1, 3);
  return scalar(rng);
}

function attributes(rng: Rng, depth: number, max: number): Attributes {
  const out: Attributes = {};
  const count = rng.int(max + 1);
  for (let a = 0; a < count; a++) out[`k${a}.${rng.int(100)}`] = attributeValue(rng, depth);
  return out;
}

function spanId(rng: Rng): Uint8Array {
  const id = rng.bytes(8);
  id[0] = id[0]! | 1; // never all zero: an all-zero span id is rejected, and that is not what this span is for
  return id;
}

function span(rng: Rng, traceId: Uint8Array, n: number): SpanInput {
  const startTimeUnixNano = START_TIME_UNIX_NANO + BigInt(rng.int(1 << 30)) * 1_000_000n;
  return {
    traceId,
    spanId: spanId(rng),
    ...(rng.next() < 0.6 ? { parentSpanId: spanId(rng) } : {}),
    name: `otlp-fuzz-${n}`,
    kind: rng.int(6),
    startTimeUnixNano,
    endTimeUnixNano: startTimeUnixNano + BigInt(rng.int(1_000_000)),
    attributes: attributes(rng, 0, 5),
    ...(rng.next() < 0.2 ? { droppedAttributesCount: rng.int(5) } : {}),
    events: Array.from({ length: rng.int(3) }, (_, e) => ({
      name: `event-${e}`,
      timeUnixNano: startTimeUnixNano + BigInt(e),
      attributes: attributes(rng, 1, 2),
    })),
    ...(rng.next() < 0.2 ? { droppedEventsCount: rng.int(5) } : {}),
    links: Array.from({ length: rng.int(2) }, () => ({
      traceId: rng.bytes(16),
      spanId: spanId(rng),
      ...(rng.next() < 0.5 ? { traceState: 'vendor=1' } : {}),
      attributes: attributes(rng, 1, 2),
      ...(rng.next() < 0.5 ? { flags: 0x101 } : {}),
    })),
    ...(rng.next() < 0.2 ? { droppedLinksCount: rng.int(5) } : {}),
    ...(rng.next() < 0.5 ? { status: { code: rng.int(3) as 0 | 1 | 2, message: rng.next() < 0.5 ? 'failed' : '' } } : {}),
    ...(rng.next() < 0.3 ? { traceState: 'congo=t61rcWkgMzE' } : {}),
    ...(rng.next() < 0.5 ? { flags: 1 } : {}),
  };
}

/** A new trace id: random, with its first byte set so it is never all zero. */
function traceId(rng: Rng): Uint8Array {
  const id = rng.bytes(16);
  id[0] = id[0]! | 0x80;
  return id;
}

export function otlpRequest(rng: Rng): OtlpRequestSpec {
  const traceIds = Array.from({ length: 1 + rng.int(TRACES_PER_REQUEST_MAX) }, () => traceId(rng));
  const groups: RequestGroup[] = [];
  let n = 0;
  for (let g = 0, count = 1 + rng.int(GROUPS_PER_REQUEST_MAX); g < count; g++) {
    groups.push({
      resource: { attributes: { 'service.name': `otlp-fuzz-${g}`, ...attributes(rng, 1, 3) }, ...(rng.next() < 0.3 ? { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' } : {}) },
      scope: { name: `scope-${g}`, ...(rng.next() < 0.5 ? { version: '1.0.0' } : {}), attributes: attributes(rng, 1, 2) },
      spans: Array.from({ length: 1 + rng.int(SPANS_PER_GROUP_MAX) }, () => span(rng, pick(rng, traceIds), n++)),
    });
  }
  if (rng.next() < REJECTED_SPAN_SHARE) groups[0]!.spans.push(span(rng, new Uint8Array(16), n++));
  return { groups, traceIdsHex: traceIds.map((id) => Buffer.from(id).toString('hex')) };
}

/** A request of `spans` spans in one group and one trace (the hostile set's large request). */
export function largeRequest(rng: Rng, spans: number): OtlpRequestSpec {
  const id = traceId(rng);
  const start = START_TIME_UNIX_NANO;
  const list: SpanInput[] = Array.from({ length: spans }, (_, s) => ({
    traceId: id,
    spanId: spanId(rng),
    name: 'large',
    startTimeUnixNano: start + BigInt(s),
    endTimeUnixNano: start + BigInt(s) + 1000n,
  }));
  return { groups: [{ resource: { attributes: { 'service.name': 'otlp-fuzz-large' } }, spans: list }], traceIdsHex: [Buffer.from(id).toString('hex')] };
}
