/**
 * The batches the in-process reliability campaigns append, and the check that a store holds them
 * correctly. Batch n is deterministic: its own trace (SPANS_PER_BATCH spans, trace id n+1) plus one
 * span of a trace shared with other batches, so a check covers traces read from one record and
 * traces assembled from many.
 *
 * The ledger says, for a crash at any moment, which batches were sent and which acknowledged; the
 * check then demands: every acknowledged batch whole and byte-identical, every other sent batch
 * whole or absent (never half-visible), nothing that was never sent, and each shared trace made of
 * exactly the spans of the batches that are whole.
 */
import { BatchEncoder, decodeBatch, decodeBatchRaw, type RawSpan, type Span, type Trace, type TraceStore } from '../../src/index.js';

export const SPANS_PER_BATCH = 4;
/** Traces that collect one span from every SHARED_TRACES-th batch. */
export const SHARED_TRACES = 3;
/** Span id of a batch's span in its shared trace; own spans are 1..SPANS_PER_BATCH. */
const SHARED_SPAN_INDEX = 0xff;

export function traceIdOf(batchNo: number): string {
  return (batchNo + 1).toString(16).padStart(32, '0');
}

export function sharedTraceIdOf(k: number): string {
  return 'f'.repeat(24) + k.toString(16).padStart(8, '0');
}

function spanIdOf(batchNo: number, index: number): string {
  return (batchNo + 1).toString(16).padStart(12, '0') + index.toString(16).padStart(4, '0');
}

const batchCache = new Map<number, Uint8Array>();

export function batchFor(batchNo: number): Uint8Array {
  const cached = batchCache.get(batchNo);
  if (cached !== undefined) return cached;
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': `reliability-${batchNo % 5}` } } });
  const add = (traceId: string, index: number) => {
    const start = 1_700_000_000_000_000_000n + BigInt(batchNo) * 1000n + BigInt(index);
    encoder.add({
      traceId,
      spanId: spanIdOf(batchNo, index),
      name: `b${batchNo}s${index}`,
      startTimeUnixNano: start,
      endTimeUnixNano: start + 500n,
      attributes: { n: batchNo, pad: `${batchNo}`.repeat(10 + (batchNo % 17)) },
    });
  };
  for (let s = 1; s <= SPANS_PER_BATCH; s++) add(traceIdOf(batchNo), s);
  add(sharedTraceIdOf(batchNo % SHARED_TRACES), SHARED_SPAN_INDEX);
  const batch = encoder.finish();
  batchCache.set(batchNo, batch);
  return batch;
}

function expectedRaw(batchNo: number): { own: RawSpan[]; shared: RawSpan } {
  const spans = decodeBatchRaw(batchFor(batchNo)).spans;
  return { own: spans.slice(0, SPANS_PER_BATCH), shared: spans[SPANS_PER_BATCH]! };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** When each batch was sent and acknowledged, in mutating disk calls made before that moment. */
export class Ledger {
  readonly sentAt = new Map<number, number>();
  readonly ackedAt = new Map<number, number>();

  /** The batches sent and acknowledged before the disk call numbered `moment` ran. */
  at(moment: number): LedgerView {
    const sent = new Set<number>();
    const acked = new Set<number>();
    for (const [n, at] of this.sentAt) if (at <= moment) sent.add(n);
    for (const [n, at] of this.ackedAt) if (at <= moment) acked.add(n);
    return { sent, acked };
  }
}

export interface LedgerView {
  sent: ReadonlySet<number>;
  acked: ReadonlySet<number>;
}

export interface StoreCheck {
  /** What is wrong, or null. */
  problem: string | null;
  /** Sent batches whose trace the store serves, whole. */
  whole: Set<number>;
}

/**
 * Reads every sent batch's trace, every shared trace and a never-sent trace back from `store`,
 * through getTraces, getTrace and getSpan, and says what is wrong.
 */
export async function checkStore(store: TraceStore, view: LedgerView): Promise<StoreCheck> {
  const whole = new Set<number>();
  const problem = await check(store, view, whole);
  return { problem, whole };
}

async function check(store: TraceStore, view: LedgerView, whole: Set<number>): Promise<string | null> {
  const sent = [...view.sent].sort((a, b) => a - b);
  const ids = [...sent.map(traceIdOf), ...Array.from({ length: SHARED_TRACES }, (_, k) => sharedTraceIdOf(k))];
  const never = (sent.length === 0 ? 0 : sent[sent.length - 1]! + 1) + 1_000;
  ids.push(traceIdOf(never));
  const traces = (await store.getTraces(ids, { raw: true })) as (Trace<RawSpan> | null)[];
  for (let i = 0; i < sent.length; i++) {
    const n = sent[i]!;
    const problem = checkOwnTrace(n, traces[i]!, view.acked.has(n));
    if (problem !== null) return problem;
    if (traces[i] !== null) whole.add(n);
  }
  for (let k = 0; k < SHARED_TRACES; k++) {
    const problem = checkSharedTrace(k, traces[sent.length + k]!, sent.filter((n) => n % SHARED_TRACES === k), whole);
    if (problem !== null) return problem;
  }
  if (traces[traces.length - 1] !== null) return `trace ${traceIdOf(never)} was never sent but is served`;
  return checkSinglesAgree(store, sent, whole);
}

function checkOwnTrace(batchNo: number, trace: Trace<RawSpan> | null, acked: boolean): string | null {
  if (trace === null) return acked ? `acknowledged batch ${batchNo} is missing` : null;
  const want = expectedRaw(batchNo).own;
  const got = [...trace.spans].sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
  if (trace.partial === true) return `batch ${batchNo}: trace served partial (${trace.partialReason ?? ''})`;
  if (got.length !== want.length) return `batch ${batchNo} is half-visible: ${got.length} of ${want.length} spans`;
  for (let s = 0; s < want.length; s++) {
    if (got[s]!.spanId !== want[s]!.spanId || !sameBytes(got[s]!.bytes, want[s]!.bytes)) return `batch ${batchNo}: span ${s} bytes differ`;
  }
  return null;
}

function checkSharedTrace(k: number, trace: Trace<RawSpan> | null, members: number[], whole: ReadonlySet<number>): string | null {
  const want = members.filter((n) => whole.has(n)).map((n) => expectedRaw(n).shared);
  const got = trace === null ? [] : trace.spans;
  if (got.length !== want.length) return `shared trace ${k}: ${got.length} spans, want ${want.length} (one per whole batch)`;
  const byId = new Map(want.map((span) => [span.spanId, span]));
  for (const span of got) {
    const expected = byId.get(span.spanId);
    if (expected === undefined || !sameBytes(span.bytes, expected.bytes)) return `shared trace ${k}: span ${span.spanId} unexpected or altered`;
  }
  return null;
}

/** getTrace and getSpan agree with getTraces on a few batches (first, last, middle). */
async function checkSinglesAgree(store: TraceStore, sent: number[], whole: ReadonlySet<number>): Promise<string | null> {
  const probes = [...new Set([sent[0], sent[sent.length >> 1], sent[sent.length - 1]])].filter((n): n is number => n !== undefined);
  for (const n of probes) {
    const trace = await store.getTrace(traceIdOf(n), { raw: true });
    if ((trace !== null) !== whole.has(n)) return `batch ${n}: getTrace and getTraces disagree on presence`;
    const wantSpan = decodeBatch(batchFor(n)).spans[0]!;
    const span = await store.getSpan(traceIdOf(n), wantSpan.spanId);
    if ((span !== null) !== whole.has(n)) return `batch ${n}: getSpan and getTraces disagree on presence`;
    if (span !== null && !sameSpan(span, wantSpan)) return `batch ${n}: getSpan serves a different span`;
  }
  return null;
}

function sameSpan(a: Span, b: Span): boolean {
  const json = (span: Span) => JSON.stringify(span, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  return json(a) === json(b);
}
