/**
 * Batch version 2 (columnar, data-format.md §2.7) against version 1 on the same spans: the first
 * BATCH_V2_SAMPLE_SPANS_MAX spans of the workload, batched the same way by both encoders, each batch
 * zstd-compressed alone at levels 1, 3 and 6 as the store would, and each encoder's time (add and
 * finish only). The store does not take version 2 yet (issue 15), so this is what its bytes will
 * be, measured before they can be stored.
 */
import { ColumnarBatchEncoder } from '../../src/batch/columnar-encoder.js';
import { BatchEncoder } from '../../src/batch/encoder.js';
import { zstdCompress } from '../../src/codec/zstd.js';
import { ServiceBatcher } from '../../src/workload/batcher.js';
import type { WorkloadTrace } from '../../src/workload/replay.js';
import { SCOPE, TRACES_PER_BATCH } from './constants.js';

/** Enough batches for stable ratios (~200 W1 batches), little next to a full workload's encode time. */
export const BATCH_V2_SAMPLE_SPANS_MAX = 200_000;
const LEVELS = [1, 3, 6] as const;

export interface BatchVersionBytes {
  rawBytesPerSpan: number;
  /** Compressed bytes per span at zstd levels 1, 3 and 6. */
  level1: number;
  level3: number;
  level6: number;
  encodeSpansPerSecPerCore: number;
}

export interface BatchV2Figures {
  sampleSpans: number;
  v1: BatchVersionBytes;
  v2: BatchVersionBytes;
}

/** Feeds the first spans of a workload to both encoders; finish() compresses and sums. */
export class BatchVersionSampler {
  private readonly v1 = new ServiceBatcher(TRACES_PER_BATCH, SCOPE, (options) => new BatchEncoder(options));
  private readonly v2 = new ServiceBatcher(TRACES_PER_BATCH, SCOPE, (options) => new ColumnarBatchEncoder(options));
  private readonly batches: [Uint8Array[], Uint8Array[]] = [[], []];
  private readonly encodeMs = [0, 0];
  private spans = 0;

  add(trace: WorkloadTrace): void {
    if (this.spans >= BATCH_V2_SAMPLE_SPANS_MAX) return;
    this.spans += trace.spanCount;
    [this.v1, this.v2].forEach((batcher, version) => {
      const start = performance.now();
      const finished = batcher.add(trace);
      this.encodeMs[version]! += performance.now() - start;
      this.batches[version]!.push(...finished);
    });
  }

  async finish(): Promise<BatchV2Figures> {
    const figures: BatchVersionBytes[] = [];
    for (const [version, batcher] of [this.v1, this.v2].entries()) {
      const start = performance.now();
      this.batches[version]!.push(...batcher.flush());
      this.encodeMs[version]! += performance.now() - start;
      const batches = this.batches[version]!;
      const compressed: number[] = [];
      for (const level of LEVELS) {
        let bytes = 0;
        for (const batch of batches) bytes += (await zstdCompress(batch, level)).length;
        compressed.push(bytes / this.spans);
      }
      figures.push({
        rawBytesPerSpan: batches.reduce((sum, batch) => sum + batch.length, 0) / this.spans,
        level1: compressed[0]!,
        level3: compressed[1]!,
        level6: compressed[2]!,
        encodeSpansPerSecPerCore: this.spans / (this.encodeMs[version]! / 1000),
      });
    }
    return { sampleSpans: this.spans, v1: figures[0]!, v2: figures[1]! };
  }
}
