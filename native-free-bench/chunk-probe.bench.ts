/**
 * Sealed index chunks (src/index/chunk-writer.ts, chunk-file.ts, bloom.ts): one chunk file built
 * from a full default-size tail (262,144 entries, 256 partitions; 16,384 with --quick), written
 * with nodeFileLayer to a temp dir and opened as the store opens it.
 *
 * - filterProbe hit / miss: the split-block Bloom probe alone, on the chunk's resident region,
 *   with each id's filter position and hashes precomputed. Misses are random ids.
 * - ChunkFile.lookup hit: row checks, filter probe, one pread of the bucket (~8 entries, page
 *   cache), the bucket CRC (pure JS here) and the entry compares.
 * - ChunkFile.lookup miss: the same for random ids; the filter rejects almost all, and a false
 *   positive costs a bucket read that finds nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHUNK_HEADER_BYTES, TRACE_ID_BYTES } from '../src/constants.js';
import { chunkFileName } from '../src/filenames.js';
import { filterProbe } from '../src/index/bloom.js';
import { ChunkFile } from '../src/index/chunk-file.js';
import { ROW_FILTER_BLOCK_COUNT, ROW_RESIDENT_OFFSET, ROW_WORDS, planChunkLayout } from '../src/index/chunk-format.js';
import { buildChunkFile, writeChunkFile } from '../src/index/chunk-writer.js';
import { LocationList } from '../src/index/location-list.js';
import { nodeFileLayer } from '../src/io/file-layer.js';
import { type BenchBudget, type MicroSuite, SuiteBuilder, check } from './bench-kit.js';
import { LOOKUPS_PER_CALL, PARTITIONS, SEED, filledTail, hashesOf, indexEntriesFor, makeRng, randomTraceIds, sampleIds } from './fixtures.js';

/** Chunk hits per call: each is a pread syscall, ~100× a probe, so fewer per call. */
const CHUNK_HITS_PER_CALL = 256;
/** Above this the filter is not doing its job (§4.3 sizes it for ~1%). */
const FALSE_POSITIVE_RATE_MAX = 0.05;

/** Per id: filter word index, block count, h2 and h3 as int32 (what ChunkFile.lookup passes). */
function probeArguments(resident: Uint32Array, hashes: Uint32Array[]): Int32Array {
  const args = new Int32Array(hashes.length * 4);
  hashes.forEach((h, i) => {
    const row = (h[0]! % PARTITIONS) * ROW_WORDS;
    args[4 * i] = (resident[row + ROW_RESIDENT_OFFSET]! - CHUNK_HEADER_BYTES) >>> 2;
    args[4 * i + 1] = resident[row + ROW_FILTER_BLOCK_COUNT]!;
    args[4 * i + 2] = h[1]! | 0;
    args[4 * i + 3] = h[2]! | 0;
  });
  return args;
}

export async function chunkProbeBench(budget: BenchBudget): Promise<MicroSuite> {
  const suite = new SuiteBuilder('chunk-probe', budget);
  const rng = makeRng(SEED + 2);
  const entries = indexEntriesFor(budget);
  const { tail, traceIds } = filledTail(rng, entries);
  const bytes = buildChunkFile(tail, {
    generationId: 1,
    chunkSeq: 1,
    from: { segmentId: 1, fileOffset: 32 },
    to: { segmentId: 1, fileOffset: 0xffff_0000 },
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-micro-chunk-'));
  suite.onClose(() => fs.rmSync(dir, { recursive: true, force: true }));
  await writeChunkFile(nodeFileLayer, dir, chunkFileName(1), bytes);
  const chunk = ChunkFile.open(nodeFileLayer, path.join(dir, chunkFileName(1)), { generationId: 1, chunkSeq: 1, partitionCount: PARTITIONS });
  suite.onClose(() => chunk.close());

  // The resident region as ChunkFile keeps it: file bytes [64, entriesStart) as u32 words.
  const entriesStart = planChunkLayout(tail.sealedColumns().partitionEntryCounts).entriesStart;
  const resident = new Uint32Array(bytes.slice(CHUNK_HEADER_BYTES, entriesStart).buffer);
  suite.describeData(`chunk file of ${entries} entries, ${PARTITIONS} partitions, ${bytes.length} bytes (${resident.byteLength} resident)`);
  const hitIds = sampleIds(rng, traceIds, LOOKUPS_PER_CALL);
  const hitHashes = hashesOf(hitIds);
  const hitProbes = probeArguments(resident, hitHashes);
  const missIds = randomTraceIds(rng, LOOKUPS_PER_CALL);
  const missHashes = hashesOf(missIds);
  const missProbes = probeArguments(resident, missHashes);
  const out = new LocationList();
  const positives = { hit: 0, miss: 0, hitCalls: 0, missCalls: 0 };
  const found = { hit: 0, miss: 0, hitCalls: 0 };

  const probeAll = (args: Int32Array): number => {
    let maybe = 0;
    for (let i = 0; i < LOOKUPS_PER_CALL; i++) {
      if (filterProbe(resident, args[4 * i]!, args[4 * i + 1]!, args[4 * i + 2]!, args[4 * i + 3]!)) maybe++;
    }
    return maybe;
  };

  suite.add(
    `filterProbe hit ×${LOOKUPS_PER_CALL}`,
    () => {
      positives.hit += probeAll(hitProbes);
      positives.hitCalls++;
    },
    { unit: 'probes', count: LOOKUPS_PER_CALL },
    { afterAll: () => check(positives.hit === positives.hitCalls * LOOKUPS_PER_CALL, 'a Bloom filter has no false negatives') },
  );

  suite.add(
    `filterProbe miss ×${LOOKUPS_PER_CALL}`,
    () => {
      positives.miss += probeAll(missProbes);
      positives.missCalls++;
    },
    { unit: 'probes', count: LOOKUPS_PER_CALL },
    {
      afterAll: () => {
        const rate = positives.miss / (positives.missCalls * LOOKUPS_PER_CALL);
        check(rate <= FALSE_POSITIVE_RATE_MAX, `filter false-positive rate ${rate}; want ≤ ${FALSE_POSITIVE_RATE_MAX}`);
      },
    },
  );

  suite.add(
    `ChunkFile.lookup hit ×${CHUNK_HITS_PER_CALL}`,
    () => {
      let hits = 0;
      for (let i = 0; i < CHUNK_HITS_PER_CALL; i++) {
        const hashes = hitHashes[i]!;
        out.clear();
        chunk.lookup(hitIds, i * TRACE_ID_BYTES, hashes, hashes[0]! % PARTITIONS, null, out);
        hits += out.length;
      }
      found.hit += hits;
      found.hitCalls++;
    },
    { unit: 'lookups', count: CHUNK_HITS_PER_CALL },
    { afterAll: () => check(found.hit === found.hitCalls * CHUNK_HITS_PER_CALL, `chunk hits found ${found.hit} entries; want one per lookup`) },
  );

  suite.add(
    `ChunkFile.lookup miss ×${LOOKUPS_PER_CALL}`,
    () => {
      let hits = 0;
      for (let i = 0; i < LOOKUPS_PER_CALL; i++) {
        const hashes = missHashes[i]!;
        out.clear();
        chunk.lookup(missIds, i * TRACE_ID_BYTES, hashes, hashes[0]! % PARTITIONS, null, out);
        hits += out.length;
      }
      found.miss += hits;
    },
    { unit: 'lookups', count: LOOKUPS_PER_CALL },
    { afterAll: () => check(found.miss === 0, `chunk misses found ${found.miss} entries; want 0`) },
  );

  return suite.build();
}
