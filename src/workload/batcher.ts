/**
 * Groups generated traces into client batches, as instrumented services would send them: a batch
 * has one resource, so every service has its own encoder, and a service's batch is finished once
 * it holds spans of `tracesPerBatch` traces (or the next span would not fit the batch limits).
 * Batches are version 2 (ColumnarBatchEncoder) unless the caller passes another encoder.
 */
import { ColumnarBatchEncoder } from '../batch/columnar-encoder.js';
import type { BatchEncoderOptions } from '../batch/encoder.js';
import type { ScopeInput, SpanInput } from '../batch/types.js';
import { TraceKvError } from '../errors.js';
import type { WorkloadTrace } from './replay.js';

/** What a batcher needs of an encoder: BatchEncoder, or ColumnarBatchEncoder for batch version 2. */
export interface SpanBatchEncoder {
  readonly spanCount: number;
  add(span: SpanInput): void;
  finish(): Uint8Array;
}

interface ServiceBatch {
  encoder: SpanBatchEncoder;
  traces: number;
}

export class ServiceBatcher {
  private readonly batches = new Map<string, ServiceBatch>();

  constructor(
    private readonly tracesPerBatch: number,
    private readonly scope: ScopeInput,
    private readonly makeEncoder: (options: BatchEncoderOptions) => SpanBatchEncoder = (options) => new ColumnarBatchEncoder(options),
  ) {}

  /** Adds a trace; returns the batches it completed (usually none). */
  add(trace: WorkloadTrace): Uint8Array[] {
    const finished: Uint8Array[] = [];
    for (const [service, spans] of trace.spansByService) {
      const batch = this.batchOf(service);
      for (const span of spans) {
        try {
          batch.encoder.add(span);
        } catch (error) {
          // A full batch is finished and the span starts the next; a span too big for an empty
          // batch is an error worth surfacing.
          if (!(error instanceof TraceKvError) || error.code !== 'ERR_BATCH_TOO_LARGE' || batch.encoder.spanCount === 0) throw error;
          finished.push(this.finish(batch));
          batch.encoder.add(span);
        }
      }
      batch.traces++;
      if (batch.traces >= this.tracesPerBatch) finished.push(this.finish(batch));
    }
    return finished;
  }

  /** Every batch still open, finished. */
  flush(): Uint8Array[] {
    const finished: Uint8Array[] = [];
    for (const batch of this.batches.values()) if (batch.encoder.spanCount > 0) finished.push(this.finish(batch));
    return finished;
  }

  private batchOf(service: string): ServiceBatch {
    let batch = this.batches.get(service);
    if (batch === undefined) {
      const encoder = this.makeEncoder({ resource: { attributes: { 'service.name': service } }, scope: this.scope });
      this.batches.set(service, (batch = { encoder, traces: 0 }));
    }
    return batch;
  }

  private finish(batch: ServiceBatch): Uint8Array {
    batch.traces = 0;
    return batch.encoder.finish();
  }
}
