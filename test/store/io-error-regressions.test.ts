// Proves the lock bug the I/O-error loop found stays fixed: a failed write of the lock file no longer escapes as a raw errno and no longer leaves a torn lock that names some live process and blocks every later open.
import { describe, expect, it } from 'vitest';
import { SimulatedDisk } from '../../scripts/reliability/simulated-disk.js';
import { TraceStore, TraceKvError } from '../../src/index.js';

describe('found by the I/O-error loop', () => {
  it('torn lock write blocked every later open: the lock is removed and the open fails with ERR_IO', async () => {
    const disk = new SimulatedDisk();
    // The store marker takes the first write; the lock the second.
    disk.injectFault({ call: 'write', nth: 2, code: 'ENOSPC', persistent: false });
    const error = await TraceStore.open({ dir: '/s', fileLayer: disk, readerThreads: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TraceKvError);
    expect((error as TraceKvError).code).toBe('ERR_IO');
    expect(disk.exists('/s/LOCK')).toBe(false);
    const store = await TraceStore.open({ dir: '/s', fileLayer: disk, readerThreads: 0 });
    await store.close();
  });

  it('a lock torn by a crash (pid without its newline) is stale, even if the digits name a live process', async () => {
    const disk = new SimulatedDisk();
    await (await TraceStore.open({ dir: '/s', fileLayer: disk, readerThreads: 0 })).close();
    const fd = disk.open('/s/LOCK', 'create-exclusive');
    // pid 1 is always alive; without the newline the write was torn and the lock is not a claim.
    disk.write(fd, Buffer.from('1'), 0, 1, 0);
    disk.close(fd);
    const store = await TraceStore.open({ dir: '/s', fileLayer: disk, readerThreads: 0 });
    await store.close();
    const whole = disk.open('/s/LOCK', 'create-exclusive');
    disk.write(whole, Buffer.from('1\n'), 0, 2, 0);
    disk.close(whole);
    await expect(TraceStore.open({ dir: '/s', fileLayer: disk, readerThreads: 0 })).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' });
  });
});
