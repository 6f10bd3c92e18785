/** The embedded store, TraceStore: opening with numbered recovery passes, the append pipeline, generations and their index, retention, the store lock, and the layout every operator tool reads. */
export { TraceStore } from './trace-store.js';
export { recover } from './recovery.js';
export { acquireLock } from './lock.js';
export { checkStoreDir, listGenerationIds, readGenerationLayout, readStoreLayout, type ChunkFileRef, type GenerationLayout, type SegmentFile, type StoreLayout } from './store-layout.js';
