/**
 * Writes a frozen index tail out as an immutable chunk file (data-format.md §4.3) and loads it
 * back. `Generation.seal` decides what the chunk covers and keeps the frozen tail searchable until
 * this returns, so a read never misses an entry while a seal is in flight.
 */
import { buildChunkFile, writeChunkFile } from '../index/chunk-writer.js';
import { ChunkFile } from '../index/chunk-file.js';
import type { IndexTail } from '../index/index-tail.js';
import { chunkFileName, join } from '../filenames.js';
import type { FileLayer } from '../io/file-layer.js';
import type { Position } from '../api/index.js';

/** What the new chunk file is: its place in the generation and the records it covers. */
export interface SealedChunkMeta {
  generationId: number;
  chunkSeq: number;
  partitionCount: number;
  /** Coverage start, inclusive: where the previous chunk's coverage ended. */
  from: Position;
  /** Coverage end, exclusive: the end of the last record whose entries the tail holds. */
  to: Position;
}

/** Builds, writes and syncs the chunk file (new file, rename, directory sync), then opens it. */
export async function writeSealedChunk(fs: FileLayer, dirPath: string, tail: IndexTail, meta: SealedChunkMeta): Promise<ChunkFile> {
  const { generationId, chunkSeq, partitionCount, from, to } = meta;
  const bytes = buildChunkFile(tail, { generationId, chunkSeq, from, to });
  const fileName = chunkFileName(chunkSeq);
  await writeChunkFile(fs, dirPath, fileName, bytes);
  return ChunkFile.open(fs, join(dirPath, fileName), { generationId, chunkSeq, partitionCount });
}
