// Proves `tracekv ls` lists every segment of a known store with its generation, id, size, record and span counts and start-time range, in text and --json.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore } from '../../src/index.js';
import { makeRng } from '../../src/workload/rng.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, segmentFiles, tempDir } from '../helpers/store-dir.js';
import { tracegenTrace } from '../helpers/tracegen.js';

const SEED = 0x15;
const BATCHES = 20;
const START_UNIX_NANO = 1_700_000_000_000_000_000n;

let dir: string;
/** Records and spans appended per segment id, from append()'s answers. */
const expected = new Map<number, { records: number; spans: number }>();

beforeAll(async () => {
  dir = tempDir('cli-ls');
  const store = await TraceStore.open({ dir, segmentBytesMax: 4096, indexFlushEntries: 16, readerThreads: 0 });
  const rng = makeRng(SEED);
  for (let b = 0; b < BATCHES; b++) {
    const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'cli-ls' } } });
    for (const span of tracegenTrace(rng, b, START_UNIX_NANO + BigInt(b) * 1000n).spans) encoder.add(span);
    const result = await store.append(encoder.finish());
    const counts = expected.get(result.segmentId) ?? { records: 0, spans: 0 };
    expected.set(result.segmentId, { records: counts.records + 1, spans: counts.spans + result.spans });
  }
  await store.close();
});

afterAll(removeTempDirs);

describe('tracekv ls', () => {
  it('prints one table row per segment', async () => {
    const result = await runCli(['ls', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^GEN +SEGMENT +SIZE +RECORDS +SPANS +MIN START +MAX START +NOTE$/);
    expect(rows).toHaveLength(segmentFiles(dir).length);
    expect(rows.length).toBeGreaterThan(2);
    rows.forEach((row, i) => {
      const counts = expected.get(i + 1)!;
      expect(row).toMatch(new RegExp(`^ *1 +${i + 1} +[\\d.]+ (B|KiB) +${counts.records} +${counts.spans} +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z +\\d{4}-.*Z$`));
    });
  });

  it('prints raw numbers with --json', async () => {
    const result = await runCli(['ls', '--json', dir]);
    expect(result.code).toBe(0);
    const segments = JSON.parse(result.stdout) as Record<string, unknown>[];
    const files = segmentFiles(dir);
    expect(segments.map((s) => s.segmentId)).toEqual(files.map((_, i) => i + 1));
    segments.forEach((segment, i) => {
      expect(segment).toMatchObject({ generationId: 1, path: files[i], fileBytes: fs.statSync(files[i]!).size, ...expected.get(i + 1), tornBytes: 0, damage: [] });
    });
    expect(segments[0]!.minStartTimeUnixNano).toBe(String(START_UNIX_NANO));
    expect(segments.reduce((n, s) => n + (s.records as number), 0)).toBe(BATCHES);
  });
});
