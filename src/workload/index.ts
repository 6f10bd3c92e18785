/** Load generators for benchmarks, tests and `tracekv load`: the tracegen shape, replay of the recorded Zipkin fixtures, a seeded RNG, and the load runner. */
export { ServiceBatcher } from './batcher.js';
export { runLoad, type LoadOptions, type LoadResult } from './load-runner.js';
export { loadReplayTemplates, replayTrace, tracegenWorkload, zipkinReplayWorkload, type Workload, type WorkloadTrace } from './replay.js';
export { makeRng, type Rng } from './rng.js';
export { loadZipkinFixtures, zipkinToSpans } from './zipkin.js';
