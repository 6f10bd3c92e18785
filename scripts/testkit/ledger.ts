/**
 * The batch ledger every harness keeps when it appends and then looks: which batches were sent,
 * which acknowledged (and at what moment, for a crash that can land between any two), which refused,
 * and the one check of a store against it. For every batch of a view the check demands:
 * - acknowledged: whole, every span byte-identical;
 * - refused (answered "not stored", e.g. ERR_BUSY): absent;
 * - only sent (the crash came first): whole or absent, never half-visible or altered.
 * A batch's own traces are the traces only it writes to, so "whole" and "absent" are exact.
 */
import { decodeBatchRaw, type RawSpan, type Trace } from '../../src/index.js';

/**
 * A span as stored, in a form both batch versions share: a version-1 span's record bytes (row −1),
 * or a version-2 span's whole batch and its row (data-format.md §2.7.6). Two stored spans are the
 * same when both are (sameStored), so "byte-identical" means the same thing for either version.
 */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  startTimeUnixNano: bigint;
  bytes: Uint8Array;
  row: number;
}

const NO_ROW = -1;

/** `spans` of a raw trace (with its `batches`) or of decodeBatchRaw (with its `batches`), as StoredSpans. */
export function storedSpans(spans: readonly RawSpan[], batches: readonly Uint8Array[] | undefined): StoredSpan[] {
  return spans.map((span) => {
    const { traceId, spanId, startTimeUnixNano } = span;
    if ('bytes' in span) return { traceId, spanId, startTimeUnixNano, bytes: span.bytes, row: NO_ROW };
    const batch = batches?.[span.batch];
    if (batch === undefined) throw new Error(`span ${spanId} names batch ${span.batch}; the trace carries ${batches?.length ?? 0}`);
    return { traceId, spanId, startTimeUnixNano, bytes: batch, row: span.row };
  });
}

/** Every span of a batch of either version, as stored. */
export function storedSpansOfBatch(batch: Uint8Array): StoredSpan[] {
  const decoded = decodeBatchRaw(batch);
  return storedSpans(decoded.spans, decoded.batches);
}

export function sameStored(a: StoredSpan, b: StoredSpan): boolean {
  return a.spanId === b.spanId && a.startTimeUnixNano === b.startTimeUnixNano && a.row === b.row && sameBytes(a.bytes, b.bytes);
}

/** Ids per read: a single getTraces call is capped at requestTracesMax ids (1,000 by default). */
export const LEDGER_TRACES_PER_READ_MAX = 1_000;

/** When each batch was sent and acknowledged, in moments the harness counts (disk calls, cycles, …). */
export class Ledger {
  readonly sentAt = new Map<number, number>();
  readonly ackedAt = new Map<number, number>();
  readonly refused = new Set<number>();

  sent(batchNo: number, moment = 0): void {
    if (!this.sentAt.has(batchNo)) this.sentAt.set(batchNo, moment);
  }

  acked(batchNo: number, moment = 0): void {
    this.sent(batchNo, moment);
    if (!this.ackedAt.has(batchNo)) this.ackedAt.set(batchNo, moment);
  }

  /** The daemon answered that it did not store this batch. */
  refuse(batchNo: number, moment = 0): void {
    this.sent(batchNo, moment);
    this.refused.add(batchNo);
  }

  /** The batches sent and acknowledged at `moment` (all of them by default). */
  at(moment = Number.POSITIVE_INFINITY): LedgerView {
    const sent = new Set<number>();
    const acked = new Set<number>();
    for (const [n, at] of this.sentAt) if (at <= moment) sent.add(n);
    for (const [n, at] of this.ackedAt) if (at <= moment) acked.add(n);
    return { sent, acked, refused: new Set([...this.refused].filter((n) => sent.has(n))) };
  }
}

export interface LedgerView {
  sent: ReadonlySet<number>;
  acked: ReadonlySet<number>;
  refused?: ReadonlySet<number>;
}

/** The spans batch `batchNo` puts in its own traces, as decodeBatchRaw gives them (storedSpans). */
export type OwnSpansOf = (batchNo: number) => StoredSpan[];
/** Reads traces by id, raw, in the order asked: a TraceStore's or a TraceClient's getTraces. */
export type RawTraceReader = (traceIds: string[]) => Promise<(Trace<RawSpan> | null)[]>;

export type BatchPresence = 'whole' | 'absent' | 'damaged';

/**
 * Reads every batch of `batchNos` back and checks it against the view; reports each problem and
 * returns the batches the store serves whole.
 */
export async function checkBatches(
  read: RawTraceReader,
  view: LedgerView,
  batchNos: Iterable<number>,
  ownSpansOf: OwnSpansOf,
  report: (problem: string) => void,
): Promise<Set<number>> {
  const whole = new Set<number>();
  let pending: { batchNo: number; traces: Map<string, StoredSpan[]> }[] = [];
  let pendingIds = 0;
  const flush = async () => {
    const ids = pending.flatMap(({ traces }) => [...traces.keys()]);
    const got = ids.length === 0 ? [] : await read(ids);
    const byId = new Map(ids.map((id, i) => [id, got[i] ?? null]));
    for (const { batchNo, traces } of pending) {
      const presence = presenceOf(batchNo, traces, byId, report);
      if (presence === 'whole') whole.add(batchNo);
      if (presence === 'absent' && view.acked.has(batchNo)) report(`acknowledged batch ${batchNo} is missing`);
      if (presence === 'whole' && view.refused?.has(batchNo) === true) report(`batch ${batchNo} was refused yet stored`);
    }
    pending = [];
    pendingIds = 0;
  };
  for (const batchNo of batchNos) {
    const traces = new Map<string, StoredSpan[]>();
    for (const span of ownSpansOf(batchNo)) {
      const spans = traces.get(span.traceId);
      if (spans === undefined) traces.set(span.traceId, [span]);
      else spans.push(span);
    }
    if (pendingIds + traces.size > LEDGER_TRACES_PER_READ_MAX) await flush();
    pending.push({ batchNo, traces });
    pendingIds += traces.size;
  }
  await flush();
  return whole;
}

/** Whole when every own trace holds exactly the batch's spans, absent when none is served; anything else is reported. */
function presenceOf(batchNo: number, traces: Map<string, StoredSpan[]>, got: Map<string, Trace<RawSpan> | null>, report: (problem: string) => void): BatchPresence {
  let served = 0;
  for (const [traceId, want] of traces) {
    const trace = got.get(traceId) ?? null;
    if (trace === null) continue;
    served++;
    const problem = traceProblem(want, trace);
    if (problem !== null) {
      report(`batch ${batchNo}: trace ${traceId} ${problem}`);
      return 'damaged';
    }
  }
  if (served === 0) return 'absent';
  if (served === traces.size) return 'whole';
  report(`batch ${batchNo} is half-visible: ${served} of its ${traces.size} traces served`);
  return 'damaged';
}

function traceProblem(want: StoredSpan[], trace: Trace<RawSpan>): string | null {
  if (trace.partial === true) return `served partial (${trace.partialReason ?? ''})`;
  if (trace.spans.length !== want.length) return `is half-visible or doubled: ${trace.spans.length} of ${want.length} spans`;
  const bySpanId = (a: StoredSpan, b: StoredSpan) => (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0);
  const got = storedSpans(trace.spans, trace.batches).sort(bySpanId);
  const wanted = [...want].sort(bySpanId);
  for (let s = 0; s < wanted.length; s++) {
    if (!sameStored(got[s]!, wanted[s]!)) return `span ${wanted[s]!.spanId} altered`;
  }
  return null;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
