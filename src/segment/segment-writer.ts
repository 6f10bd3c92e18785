/**
 * Appends records to one segment file (data-format.md §3.3). The writer tracks the end offset
 * itself and writes there, so a failed write can be cut back to exactly where it started; it
 * knows nothing of batching or group commit, which the store drives through append() and sync().
 *
 * Any write or sync error is fatal for the writer: after a failed fdatasync the kernel may have
 * dropped the dirty pages and a retry could report success for data that is gone ("fsyncgate"),
 * so nothing is ever retried and every later call throws ERR_STORE_FAILED.
 */
import { FILE_OFFSET_MAX, SEGMENT_HEADER_BYTES } from '../constants.js';
import { assert, ioError, TraceKvError } from '../errors.js';
import { openFile, type FileLayer } from '../io/file-layer.js';
import { encodeSegmentHeader, type SegmentHeader } from './segment-header.js';


export class SegmentWriter {
  readonly #fs: FileLayer;
  readonly #path: string;
  readonly #fd: number;
  #endOffset: number;
  #durableOffset: number;
  /** The first error; kept as the cause of every later ERR_STORE_FAILED. */
  #failure: TraceKvError | null = null;
  #closed = false;

  private constructor(fs: FileLayer, path: string, fd: number, endOffset: number) {
    this.#fs = fs;
    this.#path = path;
    this.#fd = fd;
    this.#endOffset = endOffset;
    this.#durableOffset = endOffset;
  }

  /**
   * Creates the file (O_EXCL), writes the segment header and fdatasyncs it. The caller fsyncs the
   * directory before acknowledging any record in it (§3.3). On error the fd is closed and a partial
   * file may remain; recovery treats a last segment without a whole header as torn.
   */
  static async create(fs: FileLayer, path: string, header: SegmentHeader): Promise<SegmentWriter> {
    const bytes = encodeSegmentHeader(header);
    const fd = openFile(fs, path, 'create-exclusive');
    try {
      fs.write(fd, bytes, 0, bytes.length, 0);
    } catch (error) {
      closeQuietly(fs, fd);
      throw ioError(path, 'write', error);
    }
    try {
      await fs.fdatasync(fd);
    } catch (error) {
      closeQuietly(fs, fd);
      throw ioError(path, 'fdatasync', error);
    }
    return new SegmentWriter(fs, path, fd, SEGMENT_HEADER_BYTES);
  }

  get path(): string {
    return this.#path;
  }

  /** Bytes written so far: where the next record goes. */
  get endOffset(): number {
    return this.#endOffset;
  }

  /** End of the bytes covered by the last successful sync(); only these may be acknowledged. */
  get durableOffset(): number {
    return this.#durableOffset;
  }

  /** True once a write or sync has failed; the writer then refuses all work. */
  get failed(): boolean {
    return this.#failure !== null;
  }

  /** Writes `record` (from encodeRecord) at endOffset and returns that offset. Not durable until sync(). */
  append(record: Uint8Array): number {
    this.#checkUsable();
    const fileOffset = this.#endOffset;
    assert(record.length > 0, 'empty record');
    assert(fileOffset + record.length <= FILE_OFFSET_MAX, `record of ${record.length} bytes at ${fileOffset} passes u32 offsets; the store rolls segments first`);
    try {
      this.#fs.write(this.#fd, record, 0, record.length, fileOffset);
    } catch (error) {
      // Cut back whatever part of the record reached the file, so the file ends at a record
      // boundary. Best effort: if this fails too, recovery sees the remains as a torn tail.
      try {
        this.#fs.truncate(this.#fd, fileOffset);
      } catch {
        // The write error is the one to report.
      }
      throw this.#fail(ioError(this.#path, 'write', error));
    }
    this.#endOffset = fileOffset + record.length;
    return fileOffset;
  }

  /**
   * fdatasync; on success every byte written before this call is durable. Calls may overlap: each
   * advances durableOffset only to the end offset it saw when called.
   */
  async sync(): Promise<void> {
    this.#checkUsable();
    const target = this.#endOffset;
    try {
      await this.#fs.fdatasync(this.#fd);
    } catch (error) {
      throw this.#fail(ioError(this.#path, 'fdatasync', error));
    }
    // An overlapping sync or write may have failed while this one waited; the file's state is then
    // unknown, and a success here must not acknowledge anything.
    this.#throwIfFailed();
    if (target > this.#durableOffset) this.#durableOffset = target;
  }

  /** Closes the fd. Allowed (and idempotent) after a failure, so the store can release the file. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#fs.close(this.#fd);
    } catch (error) {
      throw ioError(this.#path, 'close', error);
    }
  }

  #checkUsable(): void {
    this.#throwIfFailed();
    if (this.#closed) {
      throw new TraceKvError('ERR_STORE_CLOSED', `${this.#path}: segment writer is closed`, { file: this.#path });
    }
  }

  #throwIfFailed(): void {
    if (this.#failure !== null) {
      throw new TraceKvError('ERR_STORE_FAILED', `${this.#path}: segment writer failed earlier: ${this.#failure.message}`, {
        file: this.#path,
        cause: this.#failure,
      });
    }
  }

  #fail(error: TraceKvError): TraceKvError {
    if (this.#failure === null) this.#failure = error;
    return error;
  }
}

function closeQuietly(fs: FileLayer, fd: number): void {
  try {
    fs.close(fd);
  } catch {
    // Already failing; the first error is the one to report.
  }
}
