/** Seeded randomness for tests: the PRNG lives with the workloads; the seed choice is test policy. */
export { makeRng, seededRandom, type Rng } from '../../src/workload/rng.js';

/** The seed for a randomized test: TRACEKV_SEED if set (to replay a failure), else fresh. */
export function testSeed(): number {
  const fromEnv = process.env.TRACEKV_SEED;
  return fromEnv !== undefined ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}
