// Proves, over 200 kill -9 cycles at random moments (during recovery and under append load), that every acknowledged batch survives byte-identical, no unacknowledged batch is half-visible, and a rebuilt index equals the recovered one.
import { afterAll, describe, expect, it } from 'vitest';
import { runCrashCampaign } from '../../scripts/crash.js';
import { testSeed } from '../helpers/rng.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const CRASH_CYCLES = 200;

describe('kill -9 campaign', () => {
  it(`survives ${CRASH_CYCLES} kills with every acknowledged batch intact`, async () => {
    const seed = testSeed();
    const result = await runCrashCampaign({ quick: false, cycles: CRASH_CYCLES, seed, dir: tempDir('crash') });
    // Each failure line names the seed and the command that replays it.
    expect(result.failures).toEqual([]);
    expect(result.counts.cycles).toBe(CRASH_CYCLES);
    expect(result.counts.batchesAcknowledged).toBeGreaterThan(0);
  }, 600_000);
});
