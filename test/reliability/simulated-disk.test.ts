// Proves the simulated disk keeps only synced bytes and synced directory entries through a power loss, applies each fate to exactly the unsynced bytes, and fails the Nth call once or from then on.
import { describe, expect, it } from 'vitest';
import { SimulatedDisk, type UnsyncedFate } from '../../scripts/reliability/simulated-disk.js';

const bytes = (...values: number[]) => Uint8Array.from(values);

/** A disk with /d/f holding [1,2,3] synced (file and directory entry) and [4,5,6,7] written after. */
async function halfSynced(): Promise<SimulatedDisk> {
  const disk = new SimulatedDisk();
  disk.mkdir('/d');
  await disk.fsyncDir('/');
  const fd = disk.open('/d/f', 'create-exclusive');
  disk.write(fd, bytes(1, 2, 3), 0, 3, 0);
  await disk.fdatasync(fd);
  await disk.fsyncDir('/d');
  disk.write(fd, bytes(4, 5, 6, 7), 0, 4, 3);
  disk.close(fd);
  return disk;
}

function afterFate(disk: SimulatedDisk, fate: UnsyncedFate, random = () => 0.5): Uint8Array {
  return SimulatedDisk.afterPowerLoss(disk.image(), random, [fate]).disk.fileBytes('/d/f');
}

describe('SimulatedDisk power loss', () => {
  it('applies each fate to the unsynced bytes only', async () => {
    const disk = await halfSynced();
    expect([...afterFate(disk, 'drop')]).toEqual([1, 2, 3]);
    expect([...afterFate(disk, 'zero')]).toEqual([1, 2, 3, 0, 0, 0, 0]);
    // random() = 0.5 keeps floor(0.5 * 5) = 2 of the 4 unsynced bytes.
    expect([...afterFate(disk, 'prefix')]).toEqual([1, 2, 3, 4, 5]);
    const garbage = afterFate(disk, 'garbage', () => 0.999);
    expect([...garbage]).toEqual([1, 2, 3, 255, 255, 255, 255]);
    // The disk it came from is untouched, and a clean copy keeps everything.
    expect([...SimulatedDisk.fromImage(disk.image()).fileBytes('/d/f')]).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('undoes directory changes made since the last directory fsync', async () => {
    const disk = await halfSynced();
    const fd = disk.open('/d/new', 'create-exclusive');
    disk.write(fd, bytes(9), 0, 1, 0);
    await disk.fdatasync(fd);
    disk.close(fd);
    disk.unlink('/d/f');
    // random() < 0.75 reverts the directory: the new file is gone (its data sync did not save its name), the unlinked one is back.
    const reverted = SimulatedDisk.afterPowerLoss(disk.image(), () => 0.1).disk;
    expect(reverted.exists('/d/new')).toBe(false);
    expect([...reverted.fileBytes('/d/f')]).toEqual([1, 2, 3]);
    await disk.fsyncDir('/d');
    const synced = SimulatedDisk.afterPowerLoss(disk.image(), () => 0.1).disk;
    expect([...synced.fileBytes('/d/new')]).toEqual([9]);
    expect(synced.exists('/d/f')).toBe(false);
  });

  it('counts only bytes written before fdatasync started as synced', async () => {
    const disk = new SimulatedDisk();
    const fd = disk.open('/f', 'create-exclusive');
    await disk.fsyncDir('/');
    disk.write(fd, bytes(1, 2), 0, 2, 0);
    const sync = disk.fdatasync(fd);
    disk.write(fd, bytes(3), 0, 1, 2);
    await sync;
    expect([...SimulatedDisk.afterPowerLoss(disk.image(), () => 0, ['drop']).disk.fileBytes('/f')]).toEqual([1, 2]);
  });

  it('renames atomically and tracks links of open files', async () => {
    const disk = new SimulatedDisk();
    const fd = disk.open('/a', 'create-exclusive');
    disk.write(fd, bytes(7), 0, 1, 0);
    disk.rename('/a', '/b');
    expect(disk.exists('/a')).toBe(false);
    expect(disk.linkCount(fd)).toBe(1);
    disk.unlink('/b');
    expect(disk.linkCount(fd)).toBe(0);
    const into = new Uint8Array(1);
    expect(disk.pread(fd, into, 0, 1, 0)).toBe(1);
    expect(into[0]).toBe(7);
    expect(() => disk.open('/a', 'read')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('SimulatedDisk faults', () => {
  it('fails the Nth call once, landing half of a failed write', () => {
    const disk = new SimulatedDisk();
    disk.injectFault({ call: 'write', nth: 2, code: 'ENOSPC', persistent: false });
    const fd = disk.open('/f', 'create-exclusive');
    disk.write(fd, bytes(1, 2), 0, 2, 0);
    expect(() => disk.write(fd, bytes(3, 4, 5, 6), 0, 4, 2)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    expect(disk.size(fd)).toBe(4);
    disk.write(fd, bytes(9), 0, 1, 4);
    expect(disk.callCount('write')).toBe(3);
  });

  it('fails every call from the Nth on when persistent', async () => {
    const disk = new SimulatedDisk();
    disk.injectFault({ call: 'fdatasync', nth: 1, code: 'EIO', persistent: true });
    const fd = disk.open('/f', 'create-exclusive');
    await expect(disk.fdatasync(fd)).rejects.toMatchObject({ code: 'EIO' });
    await expect(disk.fdatasync(fd)).rejects.toMatchObject({ code: 'EIO' });
    disk.clearFaults();
    await disk.fdatasync(fd);
  });
});

describe('SimulatedDisk fsyncgate', () => {
  it('loses bytes that were unsynced when an fdatasync failed, even after a later one succeeds', async () => {
    const disk = new SimulatedDisk();
    const fd = disk.open('/f', 'create-exclusive');
    await disk.fsyncDir('/');
    disk.write(fd, bytes(1, 2), 0, 2, 0);
    disk.injectFault({ call: 'fdatasync', nth: 1, code: 'EIO', persistent: false });
    await expect(disk.fdatasync(fd)).rejects.toMatchObject({ code: 'EIO' });
    disk.write(fd, bytes(3), 0, 1, 2);
    await disk.fdatasync(fd);
    expect([...disk.fileBytes('/f')]).toEqual([1, 2, 3]);
    expect([...SimulatedDisk.afterPowerLoss(disk.image(), () => 0).disk.fileBytes('/f')]).toEqual([0, 0, 3]);
  });
});
