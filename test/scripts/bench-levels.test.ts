// Proves the zstd level benchmark runs in its smoke mode, ingests every workload at levels 1, 3 and 6, and writes results of the documented shape (never speed): finite positive rates, bytes that add up, and a table row per level.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LevelsResults } from '../../scripts/bench-levels.js';

const repo = path.resolve(import.meta.dirname, '../..');
const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-bench-levels-test-'));
afterAll(() => fs.rmSync(resultsDir, { recursive: true, force: true }));

describe('scripts/bench-levels.ts --smoke', () => {
  it('exits 0, prints the level table and writes levels-latest.json with every figure finite', () => {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench-levels.ts', '--smoke', '--results-dir', resultsDir], { cwd: repo, encoding: 'utf8' });
    const results = JSON.parse(fs.readFileSync(path.join(resultsDir, 'levels-latest.json'), 'utf8')) as LevelsResults;
    expect(results.settings).toMatchObject({ batchVersion: 2, durability: 'fsync', rounds: 1 });
    for (const name of ['w1', 'w2'] as const) {
      const workload = results.workloads[name];
      expect(workload.spans).toBeGreaterThanOrEqual(results.settings.spans);
      expect(workload.levels.map((figures) => figures.level)).toEqual([1, 3, 6]);
      for (const figures of workload.levels) {
        expect(figures.ingestSpansPerSec).toBeGreaterThan(0);
        expect(Number.isFinite(figures.ingestSpansPerSec)).toBe(true);
        expect(figures.ingestSpansPerSecRounds).toHaveLength(1);
        expect(figures.dataBytesPerSpan).toBeGreaterThan(0);
        expect(figures.indexBytesPerSpan).toBeGreaterThan(0);
        expect(figures.totalBytesPerSpan).toBeCloseTo(figures.dataBytesPerSpan + figures.indexBytesPerSpan, 9);
        // Compressed data is smaller than the batches as the client built them.
        expect(figures.dataBytesPerSpan).toBeLessThan(workload.rawBytesPerSpan);
      }
    }
    for (const level of [1, 3, 6]) expect(stdout).toMatch(new RegExp(`^\\| ${level} \\| [0-9.]+ \\(`, 'm'));
  });
});
