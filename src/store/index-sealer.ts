/**
 * Seals a generation's in-memory index tail into an immutable chunk file (data-format.md §4.3).
 * The frozen tail stays searchable until the chunk file is written, synced and loaded, so a read
 * never misses an entry while a seal is in flight.
 */
import { assert } from '../errors.js';
import { buildChunkFile, writeChunkFile } from '../index/chunk-writer.js';
import { ChunkFile } from '../index/chunk-file.js';
import { IndexTail } from '../index/index-tail.js';
import { chunkFileName } from '../filenames.js';
import type { FileLayer } from '../io/file-layer.js';
import type { Generation } from './generation.js';

export interface SealResult {
  entries: number;
  chunkSeq: number;
}

/**
 * Freezes the tail and writes it out. Callers must have made every record the tail covers durable
 * first: a chunk must never cover bytes that a crash could take away.
 */
export async function sealTail(fs: FileLayer, generation: Generation, flushEntries: number): Promise<SealResult | null> {
  assert(generation.sealingTail === null, 'sealTail while a seal is in flight');
  const tail = generation.tail;
  if (tail.entryCount === 0) return null;
  tail.freeze();
  generation.sealingTail = tail;
  generation.tail = new IndexTail(generation.meta.partitionCount, flushEntries);
  const chunkSeq = generation.chunks.length + 1;
  const from = generation.chunkCoverageEnd;
  const to = { ...generation.indexedThrough };
  const bytes = buildChunkFile(tail, { generationId: generation.id, chunkSeq, from, to });
  await writeChunkFile(fs, generation.dirPath, chunkFileName(chunkSeq), bytes);
  const chunk = ChunkFile.open(fs, generation.chunkPath(chunkSeq), {
    generationId: generation.id,
    chunkSeq,
    partitionCount: generation.meta.partitionCount,
  });
  generation.chunks.push(chunk);
  generation.chunkCoverageEnd = to;
  generation.sealingTail = null;
  return { entries: tail.entryCount, chunkSeq };
}
