// Proves the engine-core measurement script runs end to end in quick mode and reports sane figures.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');

describe('scripts/measure-core.ts --quick', () => {
  it('ingests, reads every sampled trace back whole, and reports rates and sizes', () => {
    const output = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/measure-core.ts', '--quick', '--json'], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const result = JSON.parse(output);
    expect(result.spans).toBe(20_000);
    expect(result.ingestSpansPerSec).toBeGreaterThan(0);
    // 10 spans per trace, batched together: one index entry per trace.
    expect(result.indexEntriesPerSpan).toBeCloseTo(0.1, 5);
    expect(result.dataBytesPerSpan).toBeGreaterThan(0);
    expect(result.dataBytesPerSpan).toBeLessThan(result.rawBytesPerSpan);
    expect(result.getTraceMs.p50).toBeGreaterThan(0);
  });
});
