// Proves the store lock refuses a live owner and takes over a lock whose process is gone (a crash).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TraceStore } from '../../src/index.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

describe('store lock', () => {
  it('replaces a stale lock left by a dead process, and refuses one held by a live process', async () => {
    const dir = tempDir('lock');
    const store = await TraceStore.open({ dir });
    await store.close();
    // A pid that surely exited: a child we ran to completion.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    fs.writeFileSync(path.join(dir, 'LOCK'), `${dead}\n`);
    const reopened = await TraceStore.open({ dir });
    expect(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').trim()).toBe(String(process.pid));
    await reopened.close();
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);

    fs.writeFileSync(path.join(dir, 'LOCK'), `${process.ppid}\n`); // our parent is alive
    await expect(TraceStore.open({ dir })).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' });
    fs.writeFileSync(path.join(dir, 'LOCK'), 'garbage'); // a torn lock write names no process
    const third = await TraceStore.open({ dir });
    await third.close();
  });
});
