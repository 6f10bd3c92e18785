/**
 * Index tail lookups (src/index/index-tail.ts `lookup`): the in-memory part of every read. The
 * tail is full at the store's default flush size (262,144 entries from 26,214 tracegen-shaped
 * records, 256 partitions; 16,384 with --quick), so its table is larger than the caches.
 *
 * - hit: ids of traces in the tail, in random order; each yields its one entry.
 * - miss: random ids the tail never saw; most end at the first empty slot.
 * - traceHash: the three murmur3 hashes a read computes once per id before any lookup.
 *
 * Each call runs 1024 lookups over precomputed ids and hashes into a reused LocationList.
 */
import { TRACE_ID_BYTES } from '../src/constants.js';
import { traceHash } from '../src/codec/trace-hash.js';
import { LocationList } from '../src/index/location-list.js';
import { type BenchBudget, type MicroSuite, SuiteBuilder, check } from './bench-kit.js';
import { LOOKUPS_PER_CALL, PARTITIONS, SEED, filledTail, hashesOf, indexEntriesFor, makeRng, randomTraceIds, sampleIds } from './fixtures.js';

export function indexLookupBench(budget: BenchBudget): MicroSuite {
  const suite = new SuiteBuilder('index-lookup', budget);
  const rng = makeRng(SEED + 1);
  const entries = indexEntriesFor(budget);
  suite.describeData(`tail of ${entries} entries, ${PARTITIONS} partitions`);
  const { tail, traceIds } = filledTail(rng, entries);
  const hitIds = sampleIds(rng, traceIds, LOOKUPS_PER_CALL);
  const hitHashes = hashesOf(hitIds);
  const missIds = randomTraceIds(rng, LOOKUPS_PER_CALL);
  const missHashes = hashesOf(missIds);
  const out = new LocationList();
  const scratchHashes = new Uint32Array(3);
  let hitsFound = 0;
  let missesFound = 0;
  let hitCalls = 0;

  suite.add(
    `tail lookup hit ×${LOOKUPS_PER_CALL}`,
    () => {
      let found = 0;
      for (let i = 0; i < LOOKUPS_PER_CALL; i++) {
        out.clear();
        tail.lookup(hitIds, i * TRACE_ID_BYTES, hitHashes[i]!, out);
        found += out.length;
      }
      hitsFound += found;
      hitCalls++;
    },
    { unit: 'lookups', count: LOOKUPS_PER_CALL },
    { afterAll: () => check(hitsFound === hitCalls * LOOKUPS_PER_CALL, `hits found ${hitsFound} entries; want one per lookup`) },
  );

  suite.add(
    `tail lookup miss ×${LOOKUPS_PER_CALL}`,
    () => {
      let found = 0;
      for (let i = 0; i < LOOKUPS_PER_CALL; i++) {
        out.clear();
        tail.lookup(missIds, i * TRACE_ID_BYTES, missHashes[i]!, out);
        found += out.length;
      }
      missesFound += found;
    },
    { unit: 'lookups', count: LOOKUPS_PER_CALL },
    { afterAll: () => check(missesFound === 0, `misses found ${missesFound} entries; want 0`) },
  );

  suite.add(
    `traceHash ×${LOOKUPS_PER_CALL}`,
    () => {
      // Writes into a typed array are side effects: V8 cannot drop the calls.
      for (let i = 0; i < LOOKUPS_PER_CALL; i++) traceHash(hitIds, i * TRACE_ID_BYTES, scratchHashes);
    },
    { unit: 'ids', count: LOOKUPS_PER_CALL },
    { afterAll: () => check(scratchHashes[2] === hitHashes[LOOKUPS_PER_CALL - 1]![2], 'traceHash matches the precomputed hashes') },
  );

  return suite.build();
}
