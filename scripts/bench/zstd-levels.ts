/**
 * zstd level 1 against level 3 on the workload's own batches: the figures behind the store's
 * default compressionLevel (README "Compression level"). Rounds are interleaved after a warm-up,
 * so neither level pays the cold start; the median round counts.
 */
import { zstdCompress } from '../../src/codec/zstd.js';
import { ZSTD_ROUNDS, ZSTD_SAMPLE_BATCHES } from './constants.js';
import { median } from './measure.js';

export interface ZstdLevel {
  ratio: number;
  mbPerSec: number;
}

const LEVELS = [1, 3] as const;

export async function compareZstdLevels(batches: Uint8Array[]): Promise<Record<'level1' | 'level3', ZstdLevel>> {
  const sample = batches.slice(0, ZSTD_SAMPLE_BATCHES);
  const sampleBytes = sample.reduce((sum, batch) => sum + batch.length, 0);
  const seconds: Record<number, number[]> = { 1: [], 3: [] };
  const compressedBytes: Record<number, number> = {};
  for (let round = -1; round < ZSTD_ROUNDS; round++) {
    for (const level of LEVELS) {
      let compressed = 0;
      const start = performance.now();
      for (const batch of sample) compressed += (await zstdCompress(batch, level)).length;
      if (round >= 0) seconds[level]!.push((performance.now() - start) / 1000);
      compressedBytes[level] = compressed;
    }
  }
  const figures = (level: number): ZstdLevel => ({ ratio: sampleBytes / compressedBytes[level]!, mbPerSec: sampleBytes / 1e6 / median(seconds[level]!) });
  return { level1: figures(1), level3: figures(3) };
}
