/**
 * The batches the in-process reliability campaigns append, and the check that a store holds them
 * correctly. Batch n is deterministic: its own trace (SPANS_PER_BATCH spans, trace id n+1) plus one
 * span of a trace shared with other batches, so a check covers traces read from one record and
 * traces assembled from many.
 *
 * The ledger (scripts/testkit/ledger.ts) says, for a crash at any moment, which batches were sent
 * and which acknowledged; checkStore then demands what the testkit's check demands of every batch
 * (acknowledged whole and byte-identical, others whole or absent), plus: nothing that was never
 * sent, each shared trace made of exactly the spans of the batches that are whole, and getTrace and
 * getSpan agreeing with getTraces.
 */
import { BatchEncoder, ColumnarBatchEncoder, decodeBatch, type RawSpan, type Span, type Trace, type TraceStore } from '../../src/index.js';
import { checkBatches, sameStored, storedSpans, storedSpansOfBatch, type LedgerView, type StoredSpan } from '../testkit/ledger.js';

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
  // Odd batches are version 2 (columns), even ones version 1: the campaigns hold both to the same promises.
  const Encoder = batchNo % 2 === 1 ? ColumnarBatchEncoder : BatchEncoder;
  const encoder = new Encoder({ resource: { attributes: { 'service.name': `reliability-${batchNo % 5}` } } });
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

/** Version 2 keeps the order too: the own trace's run (added first), then the shared span's. */
function expectedRaw(batchNo: number): { own: StoredSpan[]; shared: StoredSpan } {
  const spans = storedSpansOfBatch(batchFor(batchNo));
  return { own: spans.slice(0, SPANS_PER_BATCH), shared: spans[SPANS_PER_BATCH]! };
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
  let first: string | null = null;
  const read = (ids: string[]) => store.getTraces(ids, { raw: true }) as Promise<(Trace<RawSpan> | null)[]>;
  for (const n of await checkBatches(read, view, sent, ownSpans, (problem) => (first ??= problem))) whole.add(n);
  if (first !== null) return first;
  const never = (sent.length === 0 ? 0 : sent[sent.length - 1]! + 1) + 1_000;
  const ids = [...Array.from({ length: SHARED_TRACES }, (_, k) => sharedTraceIdOf(k)), traceIdOf(never)];
  const traces = await read(ids);
  for (let k = 0; k < SHARED_TRACES; k++) {
    const problem = checkSharedTrace(k, traces[k]!, sent.filter((n) => n % SHARED_TRACES === k), whole);
    if (problem !== null) return problem;
  }
  if (traces[SHARED_TRACES] !== null) return `trace ${traceIdOf(never)} was never sent but is served`;
  return checkSinglesAgree(store, sent, whole);
}

/** The spans batch n puts in its own trace (its shared span is checked with the shared trace). */
function ownSpans(batchNo: number): StoredSpan[] {
  return expectedRaw(batchNo).own;
}

function checkSharedTrace(k: number, trace: Trace<RawSpan> | null, members: number[], whole: ReadonlySet<number>): string | null {
  const want = members.filter((n) => whole.has(n)).map((n) => expectedRaw(n).shared);
  const got = trace === null ? [] : storedSpans(trace.spans, trace.batches);
  if (got.length !== want.length) return `shared trace ${k}: ${got.length} spans, want ${want.length} (one per whole batch)`;
  const byId = new Map(want.map((span) => [span.spanId, span]));
  for (const span of got) {
    const expected = byId.get(span.spanId);
    if (expected === undefined || !sameStored(span, expected)) return `shared trace ${k}: span ${span.spanId} unexpected or altered`;
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
