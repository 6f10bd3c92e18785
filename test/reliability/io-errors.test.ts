// Proves, failing the Nth write (EIO, ENOSPC), fdatasync, rename, directory fsync or file creation for every N the workload reaches, once and persistently, that the store fails closed with typed errors, acknowledges nothing that a power loss right after could take, and reopens consistent; and that the loop does catch a store that hides a failed fdatasync.
import { describe, expect, it } from 'vitest';
import { SimulatedDisk } from '../../scripts/reliability/simulated-disk.js';
import { IO_FAULT_KINDS, runIoErrorCampaign } from '../../scripts/reliability/io-errors.js';
import { testSeed } from '../helpers/rng.js';

/** What an engine that ignores fsync errors (or retries them, fsyncgate) looks like from below. */
class ErrorHidingDisk extends SimulatedDisk {
  override async fdatasync(fd: number): Promise<void> {
    try {
      await super.fdatasync(fd);
    } catch {
      // Swallowed: the unsynced pages are gone, but the caller is told all is well.
    }
  }
}

describe('I/O-error loop', () => {
  it('fails closed and loses nothing acknowledged, for every failing call of every kind', async () => {
    const seed = testSeed();
    const result = await runIoErrorCampaign({ quick: true, seed });
    if (result.failures.length > 0) console.error(`I/O-error loop failed with seed ${seed} (replay: TRACEKV_SEED=${seed}):\n${result.failures.join('\n')}`);
    expect(result.failures).toEqual([]);
    for (const kind of IO_FAULT_KINDS) {
      for (const persistence of ['once', 'persistent']) {
        // Every kind is reached by the workload, many times: the loop is not vacuous.
        expect(result.counts[`${kind.call}.${kind.code}.${persistence}`]).toBeGreaterThan(5);
      }
    }
  }, 300_000);

  it('catches a store whose failed fdatasync goes unreported', async () => {
    const seed = testSeed();
    const result = await runIoErrorCampaign({ quick: true, seed, kinds: [{ call: 'fdatasync', code: 'EIO' }], makeDisk: () => new ErrorHidingDisk() });
    expect(result.failures.some((line) => line.includes('swallowed')), `seed ${seed}`).toBe(true);
    expect(result.failures.some((line) => line.includes('power loss')), `seed ${seed}`).toBe(true);
  }, 120_000);
});
