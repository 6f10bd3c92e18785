/**
 * The trace index (data-format.md §4): an in-memory tail per generation, sealed into immutable
 * chunk files. Public surface for the store and the CLI.
 */
export { filterBlockCountFor, filterInsert, filterProbe } from './bloom.js';
export { LocationList } from './location-list.js';
export { IndexTail, type TailColumns } from './index-tail.js';
export { buildChunkFile, writeChunkFile, type ChunkMeta } from './chunk-writer.js';
export { ChunkFile, type TimeBounds } from './chunk-file.js';
export type { ChunkExpectation } from './chunk-header.js';
export type { ChunkPosition } from './chunk-format.js';
