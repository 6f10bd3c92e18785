/**
 * The one door to the file system. Every byte the engine writes or reads passes through a
 * FileLayer, so the reliability suite can inject faults (EIO, ENOSPC, failed syncs, power loss).
 *
 * Writes, reads and metadata calls are synchronous: they hit the page cache and cost a few µs,
 * while a threadpool hop costs ~70 µs. The two calls that wait for the disk (fdatasync, directory
 * fsync) are asynchronous so the event loop keeps serving reads while a group commit syncs.
 *
 * Every method throws the raw Node error (with `code` such as EIO); callers wrap it into a
 * TraceKvError that names the file and operation.
 */
import fs from 'node:fs';
import { ioError } from '../errors.js';
import { BROKEN_SUFFIX } from '../filenames.js';

export type OpenMode = 'read' | 'append' | 'create-exclusive';

export interface FileLayer {
  /** 'read': read only. 'append': read/write an existing file. 'create-exclusive': new file, fails if it exists. */
  open(path: string, mode: OpenMode): number;
  close(fd: number): void;
  /** Writes all `length` bytes at `position`, or throws. */
  write(fd: number, bytes: Uint8Array, offset: number, length: number, position: number): void;
  /** Reads up to `length` bytes at `position`; returns how many were read (fewer only at end of file). */
  pread(fd: number, into: Uint8Array, offset: number, length: number, position: number): number;
  fdatasync(fd: number): Promise<void>;
  truncate(fd: number, length: number): void;
  size(fd: number): number;
  /** Hard links to the open file; 0 once it has been deleted (its space is freed when the fd closes). */
  linkCount(fd: number): number;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Creates a directory and any missing parents. */
  mkdir(path: string): void;
  /** Removes a directory and everything in it. */
  removeTree(path: string): void;
  readdir(path: string): string[];
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  /** Makes a directory's entries (creates, renames, unlinks) durable. */
  fsyncDir(path: string): Promise<void>;
  /** Whole small file (metadata, lock), or null if it does not exist. */
  readFile(path: string): Uint8Array | null;
}

const OPEN_FLAGS: Record<OpenMode, number> = {
  read: fs.constants.O_RDONLY,
  append: fs.constants.O_RDWR,
  'create-exclusive': fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL,
};

function fdatasyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

export const nodeFileLayer: FileLayer = {
  open: (path, mode) => fs.openSync(path, OPEN_FLAGS[mode], 0o644),
  close: (fd) => fs.closeSync(fd),
  write(fd, bytes, offset, length, position) {
    let done = 0;
    // writeSync may write less than asked (a signal, a full pipe); loop until all bytes are down.
    while (done < length) {
      done += fs.writeSync(fd, bytes, offset + done, length - done, position + done);
    }
  },
  pread(fd, into, offset, length, position) {
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, into, offset + done, length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  },
  fdatasync: fdatasyncAsync,
  truncate: (fd, length) => fs.ftruncateSync(fd, length),
  size: (fd) => fs.fstatSync(fd).size,
  linkCount: (fd) => fs.fstatSync(fd).nlink,
  rename: (from, to) => fs.renameSync(from, to),
  unlink: (path) => fs.unlinkSync(path),
  mkdir: (path) => void fs.mkdirSync(path, { recursive: true }),
  removeTree: (path) => fs.rmSync(path, { recursive: true, force: true }),
  readdir: (path) => fs.readdirSync(path),
  exists: (path) => fs.existsSync(path),
  isDirectory: (path) => {
    try {
      return fs.statSync(path).isDirectory();
    } catch {
      return false;
    }
  },
  async fsyncDir(path) {
    const fd = fs.openSync(path, fs.constants.O_RDONLY);
    try {
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
    } finally {
      fs.closeSync(fd);
    }
  },
  readFile(path) {
    try {
      return fs.readFileSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  },
};

/** Opens `path`, turning a failure into ERR_IO that names the file and the operation. */
export function openFile(fs: FileLayer, path: string, mode: OpenMode): number {
  try {
    return fs.open(path, mode);
  } catch (error) {
    throw ioError(path, mode === 'create-exclusive' ? 'create' : 'open', error);
  }
}

/** pread into `into[0..length)`, turning a failure into ERR_IO; returns the bytes read (fewer only at end of file). */
export function readAt(fs: FileLayer, fd: number, path: string, into: Uint8Array, length: number, position: number): number {
  try {
    return fs.pread(fd, into, 0, length, position);
  } catch (error) {
    throw ioError(path, 'pread', error);
  }
}

/** The size of an open file, turning a failure into ERR_IO. */
export function sizeOfOpenFile(fs: FileLayer, fd: number, path: string): number {
  try {
    return fs.size(fd);
  } catch (error) {
    throw ioError(path, 'stat', error);
  }
}

/** Runs `use` on the open file and closes it afterwards, whatever happens. */
export function withFile<T>(fs: FileLayer, path: string, mode: OpenMode, use: (fd: number) => T): T {
  const fd = openFile(fs, path, mode);
  try {
    return use(fd);
  } finally {
    fs.close(fd);
  }
}

/**
 * `<path>.broken`, or `<path>.N.broken` (N = 2, 3, …) when an earlier repair or recovery left one:
 * a set-aside file is evidence and is never overwritten.
 */
export function freeBrokenPath(fs: FileLayer, path: string): string {
  if (!fs.exists(path + BROKEN_SUFFIX)) return path + BROKEN_SUFFIX;
  for (let n = 2; ; n++) {
    const candidate = `${path}.${n}${BROKEN_SUFFIX}`;
    if (!fs.exists(candidate)) return candidate;
  }
}
