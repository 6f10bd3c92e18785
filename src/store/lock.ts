/**
 * The store lock (data-format.md §5.4). Node has no flock, so the lock is a file created with
 * O_EXCL holding the owner's pid; a lock whose process is gone (kill -9) is stale and replaced.
 * A second open in the same process finds its own live pid and fails too.
 */
import { TraceKvError, ioError } from '../errors.js';
import type { FileLayer } from '../io/file-layer.js';

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; it is still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryCreate(fs: FileLayer, lockPath: string): boolean {
  let fd: number;
  try {
    fd = fs.open(lockPath, 'create-exclusive');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw ioError(lockPath, 'create lock', error);
  }
  try {
    const bytes = Buffer.from(`${process.pid}\n`, 'ascii');
    fs.write(fd, bytes, 0, bytes.length, 0);
  } catch (error) {
    // A torn lock could name some other live process and block every later open: take it back.
    fs.close(fd);
    try {
      fs.unlink(lockPath);
    } catch {
      // The content is checked on the next open anyway: a lock without its newline is torn, hence stale.
    }
    throw ioError(lockPath, 'write lock', error);
  }
  fs.close(fd);
  return true;
}

/** The owner's pid, or NaN when the content is not a whole `<pid>\n` (a torn write: its owner died writing it). */
function lockOwner(content: Uint8Array | null): number {
  const text = content === null ? '' : Buffer.from(content).toString('ascii');
  return /^[1-9][0-9]*\n$/.test(text) ? Number(text.slice(0, -1)) : NaN;
}

export interface StoreLock {
  release(): void;
}

export function acquireLock(fs: FileLayer, lockPath: string): StoreLock {
  if (!tryCreate(fs, lockPath)) {
    const pid = lockOwner(fs.readFile(lockPath));
    if (!Number.isNaN(pid) && processIsAlive(pid)) {
      throw new TraceKvError('ERR_STORE_LOCKED', `${lockPath} is held by live process ${pid}`, { file: lockPath });
    }
    // Stale lock (owner crashed) or unreadable content from a torn write: take it over.
    fs.unlink(lockPath);
    if (!tryCreate(fs, lockPath)) {
      throw new TraceKvError('ERR_STORE_LOCKED', `${lockPath} was taken by another process while replacing a stale lock`, {
        file: lockPath,
      });
    }
  }
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      try {
        fs.unlink(lockPath);
      } catch {
        // Already gone; a missing lock file is the released state.
      }
    },
  };
}
