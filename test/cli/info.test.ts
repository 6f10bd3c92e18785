// Proves `tracekv info` reports a known store's counts (generations, segments, records, spans, bytes, index chunks and entries, retention note) in text and --json.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { makeRng } from '../../src/workload/rng.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, segmentFiles, tempDir } from '../helpers/store-dir.js';
import { tracegenTrace } from '../helpers/tracegen.js';

const SEED = 0x1f0;
const BATCHES = 24;
const TRACES_PER_BATCH = 2;
const START_UNIX_NANO = 1_700_000_000_000_000_000n;

let dir: string;
let spans = 0;

/** A closed store of BATCHES records over several segments and index chunks. */
beforeAll(async () => {
  dir = tempDir('cli-info');
  const store = await TraceStore.open({ dir, segmentBytesMax: 4096, indexFlushEntries: 16, readerThreads: 0 });
  const rng = makeRng(SEED);
  for (let b = 0; b < BATCHES; b++) {
    const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'cli-info' } } });
    for (let t = 0; t < TRACES_PER_BATCH; t++) {
      for (const span of tracegenTrace(rng, b * TRACES_PER_BATCH + t, START_UNIX_NANO + BigInt(b) * 1000n).spans) encoder.add(span);
    }
    spans += (await store.append(encoder.finish())).spans;
  }
  await store.close();
});

afterAll(removeTempDirs);

describe('tracekv info', () => {
  it('prints the counts as aligned key: value lines', async () => {
    const result = await runCli(['info', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const text = result.stdout;
    expect(text).toMatch(/^generations: +1 \(1 open, 0 closed\)$/m);
    expect(text).toMatch(new RegExp(`^segments: +${segmentFiles(dir).length}$`, 'm'));
    expect(text).toMatch(new RegExp(`^records: +${BATCHES}$`, 'm'));
    expect(text).toMatch(new RegExp(`^spans: +${spans}$`, 'm'));
    expect(text).toMatch(/^raw bytes: +[\d.]+ KiB/m);
    expect(text).toMatch(/^compression ratio: +[\d.]+x$/m);
    expect(text).toMatch(/^index partitions: +256$/m);
    expect(text).toMatch(new RegExp(`^index entries: +${BATCHES * TRACES_PER_BATCH} `, 'm'));
    expect(text).toMatch(/^unindexed records: +0 /m);
    expect(text).toMatch(/^generation 1: +created \d{4}-.*, open; /m);
    expect(text).toMatch(/^retention: +per-open option \(not stored\)/m);
    // Aligned: every value starts in the same column.
    const columns = new Set(text.trimEnd().split('\n').map((line) => line.search(/(?<=: +)\S/)));
    expect(columns.size).toBe(1);
  });

  it('prints raw numbers with --json', async () => {
    const result = await runCli(['info', '--json', dir]);
    expect(result.code).toBe(0);
    const info = JSON.parse(result.stdout);
    expect(info).toMatchObject({
      generations: 1,
      openGenerations: 1,
      segments: segmentFiles(dir).length,
      records: BATCHES,
      spans,
      indexPartitions: [256],
      indexEntries: BATCHES * TRACES_PER_BATCH,
      unindexedRecords: 0,
      tornBytes: 0,
      damagedRegions: 0,
      minStartTimeUnixNano: String(START_UNIX_NANO),
    });
    expect(info.segments).toBeGreaterThan(2);
    expect(info.indexChunks).toBeGreaterThan(2);
    expect(info.rawBytes).toBeGreaterThan(info.compressedBytes);
    expect(info.segmentBytes).toBe(info.compressedBytes + BATCHES * 48 + info.segments * 32);
    expect(info.compressionRatio).toBeCloseTo(info.rawBytes / info.compressedBytes);
    expect(info.perGeneration).toEqual([expect.objectContaining({ id: 1, closedAtMs: 0, records: BATCHES, spans, chunks: info.indexChunks })]);
  });

  it('fails with exit 1 on a directory that is not a store', async () => {
    const result = await runCli(['info', tempDir('cli-info-empty')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/not a tracekv store/);
    expect(result.stdout).toBe('');
  });
});
