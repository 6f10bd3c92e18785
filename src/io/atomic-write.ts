/**
 * Write-new, fsync, rename, fsync-dir: the only way tracekv replaces a small file. A reader sees the
 * old file or the new one, never a mix, and after the directory sync the new one survives a crash.
 */
import path from 'node:path';
import { ioError } from '../errors.js';
import type { FileLayer } from './file-layer.js';
import { TMP_SUFFIX } from '../filenames.js';

export async function writeFileAtomic(fs: FileLayer, filePath: string, bytes: Uint8Array): Promise<void> {
  const tmpPath = filePath + TMP_SUFFIX;
  let fd = -1;
  try {
    if (fs.exists(tmpPath)) fs.unlink(tmpPath);
    fd = fs.open(tmpPath, 'create-exclusive');
    fs.write(fd, bytes, 0, bytes.length, 0);
    await fs.fdatasync(fd);
    fs.close(fd);
    fd = -1;
    fs.rename(tmpPath, filePath);
    await fs.fsyncDir(path.dirname(filePath));
  } catch (error) {
    if (fd >= 0) {
      try {
        fs.close(fd);
      } catch {
        // The write already failed; the close error adds nothing.
      }
    }
    throw ioError(filePath, 'atomic write', error);
  }
}
