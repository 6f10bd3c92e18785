/**
 * Write-new, fsync, rename, fsync-dir: the only way tracekv puts a whole file in place (metadata,
 * index chunks). A reader sees the old file or the new one, never a mix, and after the directory
 * sync the new one survives a crash.
 */
import path from 'node:path';
import { ioError } from '../errors.js';
import type { FileLayer } from './file-layer.js';
import { TMP_SUFFIX } from '../filenames.js';

function ignoreErrors(run: () => void): void {
  try {
    run();
  } catch {
    // Cleanup after a failure: the original error is the one worth reporting.
  }
}

export async function writeFileAtomic(fs: FileLayer, filePath: string, bytes: Uint8Array): Promise<void> {
  const tmpPath = filePath + TMP_SUFFIX;
  let fd = -1;
  let created = false;
  let operation = 'create';
  try {
    // Exclusive: recovery removes old tmp files on open and failures here remove their own, so an
    // existing one means another writer; refuse rather than write over its bytes. (The store marker
    // is written before recovery runs: a crash's leftover marker tmp is removed just before it.)
    fd = fs.open(tmpPath, 'create-exclusive');
    created = true;
    operation = 'write';
    fs.write(fd, bytes, 0, bytes.length, 0);
    operation = 'fdatasync';
    await fs.fdatasync(fd);
    operation = 'close';
    const closing = fd;
    fd = -1;
    fs.close(closing);
    operation = `rename to ${filePath}`;
    fs.rename(tmpPath, filePath);
  } catch (error) {
    if (fd !== -1) ignoreErrors(() => fs.close(fd));
    if (created) ignoreErrors(() => fs.unlink(tmpPath));
    throw ioError(tmpPath, operation, error);
  }
  const dir = path.dirname(filePath);
  try {
    await fs.fsyncDir(dir);
  } catch (error) {
    throw ioError(dir, 'fsync directory', error);
  }
}
