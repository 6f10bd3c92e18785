/**
 * A record task: the records one reader (a worker, or the main thread with `readerThreads: 0`)
 * reads for one call, and which traces each must yield. The main thread plans, a reader reads,
 * decompresses and slices, and the result comes back as a few flat buffers that are transferred
 * between threads, not copied.
 *
 * Everything in a task is plain data (numbers, strings, typed arrays) so that it crosses the
 * thread boundary by structured clone at the cost of a memcpy, with no object per span.
 */
import { RECORD_LOADS_IN_FLIGHT_MAX, SPAN_ID_BYTES, TRACE_ID_BYTES, UNIX_NANO_MAX } from '../constants.js';
import { TraceKvError, internalError, type TraceKvErrorCode } from '../errors.js';
import type { BatchView } from '../batch/batch-view.js';
import { readU32LE } from '../codec/little-endian.js';
import { bytesToHex } from '../batch/ids.js';
import type { RecordLoader } from './record-loader.js';

export interface RecordTask {
  /** Records in disk order. */
  files: string[];
  fileOffsets: number[];
  recordLengths: number[];
  /** Position of each record in the call's whole plan: orders spans across tasks. */
  planIndexes: number[];
  /** The call's traces: 16 bytes each. */
  traceIds: Uint8Array;
  /** Inclusive start-time bounds per trace: [start, end] pairs. */
  bounds: BigUint64Array;
  /** Per record: how many traces want it, then (trace, span count its index entry promises) pairs. */
  wants: Uint32Array;
  /** Span bytes one trace may return; the reader stops collecting a trace past it. */
  traceBytesMax: number;
  /** Span bytes the whole task may return. */
  requestBytesMax: number;
  /** The store's retention epoch (see RecordLoader.noteRetentionEpoch). */
  retentionEpoch: number;
}

export interface RecordTaskResult {
  /** Common sections and span records, back to back. */
  bytes: Uint8Array;
  /** Per record of the task: offset and length of its common section in `bytes`. */
  commons: Uint32Array;
  /** Per span: record (index in the task), trace, offset in `bytes`, length. */
  spans: Uint32Array;
  spanIds: Uint8Array;
  starts: BigUint64Array;
  /** Per trace of the call: 1 where this task left spans out for traceBytesMax. */
  truncated: Uint8Array;
  cacheHits: number;
  cacheMisses: number;
  cacheBytes: number;
}

/** A TraceKvError flattened for the trip back from a worker. */
export interface TaskError {
  code: TraceKvErrorCode;
  message: string;
  file?: string;
  offset?: number;
  /** The error's cause: the original of an ERR_INTERNAL, the errno error of an ERR_IO. */
  cause?: FlatError;
}

/**
 * An Error as plain data. Structured clone would keep the message and stack of a standard error,
 * but not an errno's `code` nor the class of anything else; spelled out, both sides agree.
 */
export interface FlatError {
  name: string;
  message: string;
  stack?: string;
  /** An errno (`EIO`) or a native binding's status. */
  code?: string;
}

export const SPAN_FIELDS = 4;
/** Starting size of a task's result buffer: a few traces of typical spans before it grows. */
const RESULT_BYTES_INITIAL = 64 * 1024;
export const NO_BOUNDS: readonly [bigint, bigint] = [0n, UNIX_NANO_MAX];

/** Bytes collected so far, in a growable buffer; one copy per kept span, none per dropped one. */
class ByteSink {
  // Uninitialized: only bytes [0, length) are ever read, and zero-filling 64 KiB per task showed up
  // as 14% of a cached single-trace read.
  bytes: Uint8Array = Buffer.allocUnsafe(RESULT_BYTES_INITIAL);
  length = 0;

  append(source: Uint8Array, start: number, length: number): number {
    const at = this.length;
    if (at + length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, at + length));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
    }
    this.bytes.set(source.subarray(start, start + length), at);
    this.length = at + length;
    return at;
  }
}

export async function runRecordTask(task: RecordTask, loader: RecordLoader): Promise<RecordTaskResult> {
  const traceCount = task.traceIds.length / TRACE_ID_BYTES;
  const sink = new ByteSink();
  const commons = new Uint32Array(task.files.length * 2);
  const spans: number[] = [];
  const spanIds: number[] = [];
  const starts: bigint[] = [];
  const traceBytes = new Float64Array(traceCount);
  const truncated = new Uint8Array(traceCount);
  loader.noteRetentionEpoch(task.retentionEpoch);
  const before = loader.cache.stats();
  // Loads run ahead of slicing: each decompression is a ~105 µs hop to the threadpool, and a few
  // in flight overlap those hops and use every core. Errors surface when their record's turn comes.
  const loads: (Promise<BatchView> | undefined)[] = [];
  const startLoad = (r: number) => {
    if (r < task.files.length && loads[r] === undefined) {
      const load = loader.load({ file: task.files[r]!, fileOffset: task.fileOffsets[r]!, recordLength: task.recordLengths[r]! });
      load.catch(() => {}); // handled when awaited; never an unhandled rejection meanwhile
      loads[r] = load;
    }
  };
  let wantsAt = 0;
  for (let r = 0; r < task.files.length; r++) {
    for (let ahead = 0; ahead < RECORD_LOADS_IN_FLIGHT_MAX; ahead++) startLoad(r + ahead);
    const view = await loads[r]!;
    loads[r] = undefined; // let the view go once sliced
    const wanting = task.wants[wantsAt++]!;
    const traces = Array.from({ length: wanting }, (_, k) => task.wants[wantsAt + 2 * k]!);
    const promised = Array.from({ length: wanting }, (_, k) => task.wants[wantsAt + 2 * k + 1]!);
    wantsAt += 2 * wanting;
    const common = view.commonBytes();
    commons[2 * r] = sink.append(common, 0, common.length);
    commons[2 * r + 1] = common.length;
    const found = new Array<number>(wanting).fill(0);
    walkTrailer(view, task, traces, (slot, i) => {
      found[slot]!++;
      const trace = traces[slot]!;
      const start = view.startTimeUnixNano(i);
      if (start < task.bounds[2 * trace]! || start > task.bounds[2 * trace + 1]!) return;
      const length = view.spanLength(i);
      if (truncated[trace] === 1 || traceBytes[trace]! + length > task.traceBytesMax) {
        truncated[trace] = 1;
        return;
      }
      traceBytes[trace]! += length;
      if (sink.length + length > task.requestBytesMax) {
        throw new TraceKvError('ERR_REQUEST_TOO_LARGE', `the requested traces hold more than requestBytesMax (${task.requestBytesMax}) bytes of spans`);
      }
      spans.push(r, trace, sink.append(view.bytes, view.spanOffset(i), length), length);
      const idAt = view.trailerEntryOffset(i) + TRACE_ID_BYTES;
      for (let b = 0; b < SPAN_ID_BYTES; b++) spanIds.push(view.bytes[idAt + b]!);
      starts.push(start);
    });
    checkPromisedCounts(task, r, traces, promised, found);
  }
  const after = loader.cache.stats();
  return {
    bytes: sink.bytes.slice(0, sink.length),
    commons,
    spans: Uint32Array.from(spans),
    spanIds: Uint8Array.from(spanIds),
    starts: BigUint64Array.from(starts),
    truncated,
    cacheHits: after.hits - before.hits,
    cacheMisses: after.misses - before.misses,
    cacheBytes: after.bytes,
  };
}

/** Calls `onSpan(slot, i)` for every trailer entry whose traceId is wanted; one pass, no allocation per span. */
function walkTrailer(view: BatchView, task: RecordTask, traces: number[], onSpan: (slot: number, i: number) => void): void {
  const byFirstWord = new Map<number, number[]>();
  traces.forEach((trace, slot) => {
    const word = readU32LE(task.traceIds, trace * TRACE_ID_BYTES);
    const slots = byFirstWord.get(word);
    if (slots === undefined) byFirstWord.set(word, [slot]);
    else slots.push(slot);
  });
  for (let i = 0; i < view.spanCount; i++) {
    const slots = byFirstWord.get(readU32LE(view.bytes, view.trailerEntryOffset(i)));
    if (slots === undefined) continue;
    for (const slot of slots) {
      if (view.traceIdEquals(i, task.traceIds, traces[slot]! * TRACE_ID_BYTES)) onSpan(slot, i);
    }
  }
}

/** The index and the record must agree on how many spans of each trace the record holds. */
function checkPromisedCounts(task: RecordTask, r: number, traces: number[], promised: number[], found: number[]): void {
  traces.forEach((trace, slot) => {
    if (found[slot] === promised[slot]) return;
    const file = task.files[r]!;
    throw new TraceKvError(
      'ERR_INDEX_CORRUPT',
      `index entry for trace ${bytesToHex(task.traceIds, trace * TRACE_ID_BYTES, TRACE_ID_BYTES)} says ${promised[slot]} spans in ${file} at offset ${task.fileOffsets[r]}; got ${found[slot]}`,
      { file, offset: task.fileOffsets[r]! },
    );
  });
}

/**
 * Any error a reader raised, as the TraceKvError the caller gets: a TraceKvError as it is, an errno
 * error that escaped the fs wrappers as ERR_IO (naming its path when it has one, never an invented
 * file), anything else, a bug, as ERR_INTERNAL with the original as cause. Inline readers use this
 * directly; workers send it through toTaskError.
 */
export function asReaderError(error: unknown): TraceKvError {
  if (error instanceof TraceKvError) return error;
  if (isErrnoError(error)) {
    const where = error.path === undefined ? '' : ` ${error.path}`;
    return new TraceKvError('ERR_IO', `${error.syscall}${where}: ${error.message}`, { cause: error, ...(error.path === undefined ? {} : { file: error.path }) });
  }
  return internalError('in a reader', error);
}

function isErrnoError(error: unknown): error is NodeJS.ErrnoException & { syscall: string } {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string' && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

export function toTaskError(thrown: unknown): TaskError {
  const error = asReaderError(thrown);
  return {
    code: error.code,
    message: error.message,
    ...(error.file !== undefined ? { file: error.file } : {}),
    ...(error.offset !== undefined ? { offset: error.offset } : {}),
    ...(error.cause !== undefined ? { cause: flatten(error.cause) } : {}),
  };
}

export function fromTaskError(error: TaskError): TraceKvError {
  return new TraceKvError(error.code, error.message, {
    ...(error.file !== undefined ? { file: error.file } : {}),
    ...(error.offset !== undefined ? { offset: error.offset } : {}),
    ...(error.cause !== undefined ? { cause: rebuild(error.cause) } : {}),
  });
}

function flatten(cause: unknown): FlatError {
  if (!(cause instanceof Error)) return { name: 'Error', message: String(cause) };
  const code = (cause as { code?: unknown }).code;
  return {
    name: cause.name,
    message: cause.message,
    ...(cause.stack !== undefined ? { stack: cause.stack } : {}),
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** The built-in classes a cause is rebuilt as, so `instanceof TypeError` holds on the main side too. */
const ERROR_CLASSES = new Map<string, ErrorConstructor>([TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError].map((kind) => [kind.name, kind]));

/** The worker's error again, with its own stack (where the bug is), not one from this thread. */
function rebuild(flat: FlatError): Error {
  const error = new (ERROR_CLASSES.get(flat.name) ?? Error)(flat.message);
  if (error.name !== flat.name) error.name = flat.name;
  error.stack = flat.stack ?? `${flat.name}: ${flat.message}`;
  if (flat.code !== undefined) (error as NodeJS.ErrnoException).code = flat.code;
  return error;
}
