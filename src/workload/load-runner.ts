/**
 * The load generator's loop: generate traces, batch them per service, append the batches with a
 * bounded number in flight (so the store's group commit has company to batch, and memory stays
 * bounded), and count what was acknowledged. Works on anything with `append` (TraceStore,
 * TraceClient).
 */
import type { TraceStoreApi } from '../api/index.js';
import type { ScopeInput } from '../batch/types.js';
import { ServiceBatcher } from './batcher.js';
import { wallClockNanos, type Workload } from './replay.js';

export interface LoadOptions {
  workload: Workload;
  target: Pick<TraceStoreApi, 'append'>;
  traces: number;
  tracesPerBatch: number;
  /** Appends awaiting their acknowledgement at once. */
  appendsInFlight: number;
  scope: ScopeInput;
  /** UnixNano "now" for each new trace. Default: the wall clock. */
  clock?: () => bigint;
  /** Called after each trace is generated, with the number generated so far. */
  onTrace?: (tracesDone: number) => void;
}

export interface LoadResult {
  /** Spans acknowledged by the target. */
  spans: number;
  traces: number;
  batches: number;
  seconds: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const clock = options.clock ?? wallClockNanos();
  const batcher = new ServiceBatcher(options.tracesPerBatch, options.scope);
  const inFlight = new Set<Promise<void>>();
  // Declared wide: it is set inside callbacks, which TypeScript's narrowing does not follow.
  let failure = null as { error: unknown } | null;
  let spans = 0;
  let batches = 0;
  const startMs = performance.now();

  const send = async (batch: Uint8Array): Promise<void> => {
    // Never rejects: the first failure is kept and stops the loop below.
    const done: Promise<void> = options.target.append(batch).then(
      (result) => {
        spans += result.spans;
        batches++;
      },
      (error: unknown) => {
        failure ??= { error };
      },
    );
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
    if (inFlight.size >= options.appendsInFlight) await Promise.race(inFlight);
  };

  let traces = 0;
  while (traces < options.traces && failure === null) {
    const trace = options.workload.nextTrace(clock());
    traces++;
    for (const batch of batcher.add(trace)) await send(batch);
    options.onTrace?.(traces);
  }
  if (failure === null) for (const batch of batcher.flush()) await send(batch);
  await Promise.all(inFlight);
  if (failure !== null) throw failure.error;
  return { spans, traces, batches, seconds: (performance.now() - startMs) / 1000 };
}
