/** The read path: plan a read against an IndexLookup (the store's index, seen from below), then read, decompress and slice records on reader threads. */
export { TraceReader, STREAM_SLICE_TRACES } from './trace-reader.js';
export type { IndexLookup, IndexedGeneration } from './index-lookup.js';
export { createExecutor, type RecordExecutor } from './reader-pool.js';
