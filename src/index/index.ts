/** The trace index (data-format.md §4): hash partitions, an in-memory tail per generation sealed into immutable chunk files, and their Bloom filters. */
export { filterBlockCountFor, filterInsert, filterProbe } from './bloom.js';
export { LocationList } from './location-list.js';
export { IndexTail, type TailColumns } from './index-tail.js';
export { buildChunkFile, writeChunkFile, type ChunkMeta } from './chunk-writer.js';
export { ChunkFile } from './chunk-file.js';
export type { ChunkExpectation } from './chunk-header.js';
export type { ChunkPosition } from './chunk-format.js';
