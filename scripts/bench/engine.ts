/**
 * The store the benchmark measures: the build in dist/, the code `tracekv serve` runs.
 *
 * Why not the sources: the reader pool starts its worker from the module beside it, in the same
 * form (src/reader/reader-pool.ts), so a store imported from src/ would start reader-worker.ts.
 * Worker threads load TypeScript only through tsx's CommonJS hook, which transpiles the workers to
 * CommonJS and slows reads (esm-only.ts). Importing the build keeps the workers on dist/ as ES
 * modules. Types still come from the sources, so the type check needs no build.
 */
import type * as Engine from '../../src/index.js';

const DIST_INDEX = new URL('../../dist/index.js', import.meta.url);

export const { TraceStore } = (await import(DIST_INDEX.href)) as typeof Engine;
