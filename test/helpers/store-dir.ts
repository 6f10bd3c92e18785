/** Temporary store directories, and a "crash copy" that captures a live store's files as a crash would leave them. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];

export function tempDir(label: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tracekv-${label}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Copies a store that is still open, without its LOCK: the copy is what a kill -9 at this moment
 * leaves behind (every acknowledged record is synced; the index tail exists only in memory).
 */
export function crashCopy(dir: string, label: string): string {
  const copy = tempDir(label);
  fs.cpSync(dir, copy, { recursive: true, filter: (source) => path.basename(source) !== 'LOCK' });
  return copy;
}

export function segmentFiles(dir: string): string[] {
  const out: string[] = [];
  for (const gen of fs.readdirSync(dir).filter((n) => n.startsWith('gen-')).sort()) {
    for (const name of fs.readdirSync(path.join(dir, gen)).filter((n) => n.endsWith('.tkv')).sort()) out.push(path.join(dir, gen, name));
  }
  return out;
}

/** Every file under dir with its size and mtime: what a read-only operation must leave untouched. */
export function snapshotFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .sort()
    .map((name) => {
      const stat = fs.statSync(path.join(dir, name));
      return `${name} ${stat.isFile() ? stat.size : 'dir'} ${stat.mtimeMs}`;
    });
}
