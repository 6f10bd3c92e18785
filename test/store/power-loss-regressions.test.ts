// Proves two recovery and creation bugs the power-loss campaign found stay fixed: a new store's directory entry is synced before anything is acknowledged, and a segment whose creation was torn by a power loss (header never synced) is removed on open instead of failing it.
import { describe, expect, it } from 'vitest';
import { SimulatedDisk, type DiskImage } from '../../scripts/reliability/simulated-disk.js';
import { TraceStore, type TraceStoreOptions } from '../../src/index.js';
import { batchFor, traceIdOf } from '../../scripts/reliability/ledger.js';

const options = (disk: SimulatedDisk, dir: string): TraceStoreOptions => ({ dir, fileLayer: disk, readerThreads: 0 });
/** afterPowerLoss's random source: below 0.75 undoes every unsynced directory change. */
const revertEverything = () => 0;

describe('found by the power-loss campaign', () => {
  it('store directory lost with its acknowledged batch: the parents of a new store directory are synced', async () => {
    const disk = new SimulatedDisk();
    const store = await TraceStore.open(options(disk, '/var/lib/tracekv'));
    await store.append(batchFor(0));
    const image = disk.image();
    await store.close();
    const rebooted = SimulatedDisk.afterPowerLoss(image, revertEverything).disk;
    rebooted.unlink('/var/lib/tracekv/LOCK');
    const reopened = await TraceStore.open(options(rebooted, '/var/lib/tracekv'));
    expect(await reopened.getTrace(traceIdOf(0), { raw: true })).not.toBeNull();
    await reopened.close();
  });

  it('open failed on a first segment whose header never reached the disk: the torn segment is removed', async () => {
    const disk = new SimulatedDisk();
    let image: DiskImage | null = null;
    disk.beforeMutation = (_moment, call, path) => {
      if (image === null && call === 'fdatasync' && path.endsWith('.tkv')) image = disk.image();
    };
    const store = await TraceStore.open(options(disk, '/s'));
    await store.append(batchFor(0));
    await store.close();
    expect(image).not.toBeNull();
    // Keep the directory entries, drop the unsynced header: an empty segment 1, nothing indexed.
    const rebooted = SimulatedDisk.afterPowerLoss(image!, () => 0.9, ['drop']).disk;
    rebooted.unlink('/s/LOCK');
    const segment = rebooted.listFiles('/s').find((path) => path.endsWith('.tkv'))!;
    expect(rebooted.fileBytes(segment).length).toBe(0);
    const reopened = await TraceStore.open(options(rebooted, '/s'));
    expect(reopened.stats().recovery.truncatedFiles).toEqual([segment]);
    await reopened.append(batchFor(1));
    expect(await reopened.getTrace(traceIdOf(1), { raw: true })).not.toBeNull();
    await reopened.close();
  });
});
