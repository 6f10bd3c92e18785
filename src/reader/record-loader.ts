/**
 * Loads one stored record as a validated batch view: cache, or one pread then loadStoredBatch
 * (segment/stored-batch.ts), decompressing on this thread. Runs in reader workers and, with
 * `readerThreads: 0`, inline; each has its own cache, read file descriptors and WASM zstd decoder.
 */
import { READER_OPEN_FILES_MAX } from '../constants.js';
import { ioError } from '../errors.js';
import type { AnyBatchView } from '../batch/batch-versions.js';
import { openFile, type FileLayer } from '../io/file-layer.js';
import { readRecordAt } from '../segment/segment-reader.js';
import { loadStoredBatch } from '../segment/stored-batch.js';
import { RecordCache } from './record-cache.js';

export interface RecordLocation {
  file: string;
  fileOffset: number;
  recordLength: number;
}

export class RecordLoader {
  readonly cache: RecordCache;
  /** Open read fds by path, oldest first; segments are immutable once written, so an fd never goes stale. */
  private readonly fds = new Map<string, number>();
  private retentionEpoch = 0;

  constructor(
    private readonly fs: FileLayer,
    cacheBytesMax: number,
  ) {
    this.cache = new RecordCache(cacheBytesMax);
  }

  /** The record's view, from the cache or from disk; a record read from disk is kept in the cache when `fillCache`. */
  async load(location: RecordLocation, fillCache: boolean): Promise<AnyBatchView> {
    const { file, fileOffset, recordLength } = location;
    const key = `${file}@${fileOffset}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const { header, body } = readRecordAt(this.fs, this.fd(file), file, fileOffset, recordLength);
    const view = await loadStoredBatch(header, body, file, fileOffset, { inlineDecompress: true });
    if (fillCache) this.cache.set(key, view);
    return view;
  }

  /**
   * After retention dropped generations: close the fds of deleted segments, so their disk space is
   * freed now rather than when the fd would age out, and forget their cached records.
   */
  noteRetentionEpoch(epoch: number): void {
    if (epoch === this.retentionEpoch) return;
    this.retentionEpoch = epoch;
    for (const [file, fd] of [...this.fds]) {
      if (this.linkCount(file, fd) > 0) continue;
      this.fds.delete(file);
      this.closeFd(file, fd);
      this.cache.dropPrefix(`${file}@`);
    }
  }

  close(): void {
    for (const [file, fd] of this.fds) this.closeFd(file, fd);
    this.fds.clear();
  }

  // The fs calls not behind file-layer.ts's wrappers: an errno from them is ERR_IO naming the file too.
  private linkCount(file: string, fd: number): number {
    try {
      return this.fs.linkCount(fd);
    } catch (error) {
      throw ioError(file, 'fstat', error);
    }
  }

  private closeFd(file: string, fd: number): void {
    try {
      this.fs.close(fd);
    } catch (error) {
      throw ioError(file, 'close', error);
    }
  }

  private fd(file: string): number {
    let fd = this.fds.get(file);
    if (fd !== undefined) {
      this.fds.delete(file);
      this.fds.set(file, fd);
      return fd;
    }
    if (this.fds.size >= READER_OPEN_FILES_MAX) {
      const [oldestFile, oldestFd] = this.fds.entries().next().value as [string, number];
      this.fds.delete(oldestFile);
      this.closeFd(oldestFile, oldestFd);
    }
    fd = openFile(this.fs, file, 'read');
    this.fds.set(file, fd);
    return fd;
  }
}
