// Proves the peer benchmark's row spool gives back every INSERT body it was given, byte for byte, in any order.
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { RowSpool } from '../../scripts/bench/peer/row-spool.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

describe('RowSpool', () => {
  it('reads back each body as appended', () => {
    const spool = RowSpool.inDir(tempDir('row-spool'));
    const bodies = [Buffer.from('first'), Buffer.alloc(0), Buffer.alloc(300_000, 7), Buffer.from('last')];
    for (const body of bodies) spool.append(body);
    expect(spool.count).toBe(bodies.length);
    expect(fs.statSync(spool.file).size).toBe(bodies.reduce((sum, body) => sum + body.length, 0));
    for (const i of [3, 0, 2, 1]) expect(spool.read(i)).toEqual(bodies[i]);
    spool.close();
  });
});
