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
import type { AnyBatchView } from '../batch/batch-versions.js';
import type { BatchView } from '../batch/batch-view.js';
import { decodeColumnarCommon, decodeColumnarRun } from '../batch/columnar-decoder.js';
import { decodeCommon } from '../batch/common.js';
import { decodeSpanRecord } from '../batch/span-codec.js';
import { ProtobufBuilder } from '../codec/protobuf-builder.js';
import { SHARED_FIELDS_ENTRY, writeSharedFields, writeSpan } from '../otlp/span-protobuf.js';
import type { ColumnarView } from '../batch/columnar-view.js';
import type { Span } from '../batch/types.js';
import type { BatchCommon } from '../batch/decoder.js';
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
  /** Whether records loaded from disk go into the reader's cache (READ_CACHE_FILL_TRACES_MAX); hits are taken either way. */
  fillCache: boolean;
  /** Spans as stored: version-1 record bytes, version-2 whole batches and rows; nothing decoded. */
  raw: boolean;
  /** Spans as OTLP protobuf Span fields, written here (never with `raw`): see RecordTaskResult.shared. */
  otlp: boolean;
}

export interface RecordTaskResult {
  /**
   * Common sections, version-1 span records and (raw reads) version-2 batches, back to back; on
   * OTLP reads, each record's shared fields and each kept span's Span field instead.
   */
  bytes: Uint8Array;
  /** Per record of the task: offset and length of its common section in `bytes` (version 1, decoded reads; else 0, 0). */
  commons: Uint32Array;
  /** Per record of the task: offset and length of its whole batch in `bytes` (version 2, raw reads; else 0, 0). */
  batches: Uint32Array;
  /** OTLP reads: per record, where its shared fields are in `bytes` (SHARED_FIELDS_ENTRY numbers, writeSharedFields); else empty. */
  shared: Uint32Array;
  /**
   * SPAN_FIELDS per span: record (index in the task), trace, where, size, row, length. Version 1:
   * `where` is the span record's offset in `bytes`, size its length, row NO_ROW. Version 2: row is
   * the span's row; `where` is its index in `decoded` (0 on raw reads), size its share of the batch
   * (rowShareBytes). On OTLP reads, `where` and `length` place the span's Span field in `bytes`
   * (length is 0 otherwise); size and row are as above.
   */
  spans: Uint32Array;
  /** Version-2 spans decoded here, in the order `spans` names them; empty on raw reads. */
  decoded: Span[];
  /**
   * What this task counted against requestBytesMax: the length of `bytes`, plus the shares of the
   * rows in `decoded`; an OTLP read counts what a decoded read of the same spans would.
   */
  returnedBytes: number;
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

export const SPAN_FIELDS = 6;
/** The row field of a version-1 span. */
export const NO_ROW = 0xffffffff;

/**
 * What one version-2 row counts toward traceBytesMax and requestBytesMax: its batch's length over
 * its span count, rounded up (data-format.md §2.7.6). A row's columns are not delimited per row,
 * and the store never decodes them to find out; the share is known from the header alone, the
 * same for raw and decoded reads, and sums to at least the batch over all of its rows.
 */
export function rowShareBytes(view: ColumnarView): number {
  return Math.ceil(view.bytes.length / view.spanCount);
}
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

/**
 * Writers of OTLP reads, free for the next task. Tasks on one thread can overlap (the inline reader
 * of `readerThreads: 0` runs one per call, each awaiting its loads), so each task takes its own.
 */
const freeOtlpBuilders: ProtobufBuilder[] = [];
/** Free writers a thread keeps: one per task it usually has at once, and a few more. */
const OTLP_BUILDERS_KEPT_MAX = 4;

export async function runRecordTask(task: RecordTask, loader: RecordLoader): Promise<RecordTaskResult> {
  if (!task.otlp) return readRecords(task, loader, null);
  const builder = freeOtlpBuilders.pop() ?? new ProtobufBuilder();
  builder.reset();
  try {
    return await readRecords(task, loader, builder);
  } finally {
    if (freeOtlpBuilders.length < OTLP_BUILDERS_KEPT_MAX) freeOtlpBuilders.push(builder);
  }
}

/** The task's records read and sliced; OTLP reads write into `otlp`. */
async function readRecords(task: RecordTask, loader: RecordLoader, otlp: ProtobufBuilder | null): Promise<RecordTaskResult> {
  const traceCount = task.traceIds.length / TRACE_ID_BYTES;
  const out: TaskOutput = {
    sink: new ByteSink(),
    otlp,
    shared: new Uint32Array(otlp === null ? 0 : task.files.length * SHARED_FIELDS_ENTRY),
    counted: 0,
    commons: new Uint32Array(task.files.length * 2),
    batches: new Uint32Array(task.files.length * 2),
    spans: [],
    spanIds: [],
    starts: [],
    decoded: [],
    decodedBytes: 0,
    traceBytes: new Float64Array(traceCount),
    truncated: new Uint8Array(traceCount),
  };
  loader.noteRetentionEpoch(task.retentionEpoch);
  const before = loader.cache.stats();
  // Loads run ahead of slicing: a batch too large to decompress inline is a hop to the threadpool,
  // and a few in flight overlap those hops and use every core (inline loads simply run in turn).
  // Errors surface when their record's turn comes.
  const loads: (Promise<AnyBatchView> | undefined)[] = [];
  const startLoad = (r: number) => {
    if (r < task.files.length && loads[r] === undefined) {
      const load = loader.load({ file: task.files[r]!, fileOffset: task.fileOffsets[r]!, recordLength: task.recordLengths[r]! }, task.fillCache);
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
    const found = view.version === 2 ? sliceColumnar(view, task, r, traces, out) : sliceRecords(view, task, r, traces, out);
    checkPromisedCounts(task, r, traces, promised, found);
  }
  const after = loader.cache.stats();
  return {
    bytes: otlp === null ? out.sink.bytes.slice(0, out.sink.length) : otlp.finish(),
    commons: out.commons,
    batches: out.batches,
    shared: out.shared,
    spans: Uint32Array.from(out.spans),
    spanIds: Uint8Array.from(out.spanIds),
    starts: BigUint64Array.from(out.starts),
    decoded: out.decoded,
    returnedBytes: countedBytes(out),
    truncated: out.truncated,
    cacheHits: after.hits - before.hits,
    cacheMisses: after.misses - before.misses,
    cacheBytes: after.bytes,
  };
}

/** What a task gathers across its records. */
interface TaskOutput {
  sink: ByteSink;
  /** OTLP reads: where the shared fields and Span fields are written (`sink` stays empty); else null. */
  otlp: ProtobufBuilder | null;
  shared: Uint32Array;
  /** OTLP reads: the bytes a decoded read of the same spans would count against requestBytesMax. */
  counted: number;
  commons: Uint32Array;
  batches: Uint32Array;
  spans: number[];
  spanIds: number[];
  starts: bigint[];
  decoded: Span[];
  /** Shares of the decoded version-2 rows, which are not in `sink`. */
  decodedBytes: number;
  /** Per trace of the call: bytes kept so far, against traceBytesMax. */
  traceBytes: Float64Array;
  truncated: Uint8Array;
}

/**
 * Whether a span of `size` bytes of `trace` starting at `start` is kept: inside the trace's
 * bounds, and within traceBytesMax (a trace keeps the prefix that fits; once a span is left out,
 * every later one is too). `added` is what keeping it adds to the response, against requestBytesMax.
 */
function keeps(task: RecordTask, out: TaskOutput, trace: number, start: bigint, size: number, added: number): boolean {
  if (start < task.bounds[2 * trace]! || start > task.bounds[2 * trace + 1]!) return false;
  if (out.truncated[trace] === 1 || out.traceBytes[trace]! + size > task.traceBytesMax) {
    out.truncated[trace] = 1;
    return false;
  }
  if (countedBytes(out) + added > task.requestBytesMax) {
    throw new TraceKvError('ERR_REQUEST_TOO_LARGE', `the requested traces hold more than requestBytesMax (${task.requestBytesMax}) bytes of spans`);
  }
  out.counted += added;
  out.traceBytes[trace]! += size;
  return true;
}

/** The bytes the task has counted against requestBytesMax so far. */
function countedBytes(out: TaskOutput): number {
  return out.otlp === null ? out.sink.length + out.decodedBytes : out.counted;
}

/** A version-1 record: the wanted traces' span records, cut out of the batch by the trailer. */
function sliceRecords(view: BatchView, task: RecordTask, r: number, traces: number[], out: TaskOutput): number[] {
  const otlp = out.otlp;
  let common: BatchCommon | null = null;
  if (otlp !== null) {
    // Counted as a decoded read counts the common section it ships.
    const commonBytes = view.commonBytes();
    out.counted += commonBytes.length;
    common = decodeCommon(commonBytes);
  } else if (!task.raw) {
    const commonBytes = view.commonBytes();
    out.commons[2 * r] = out.sink.append(commonBytes, 0, commonBytes.length);
    out.commons[2 * r + 1] = commonBytes.length;
  }
  const found = new Array<number>(traces.length).fill(0);
  walkTrailer(view, task, traces, (slot, i) => {
    found[slot]!++;
    const trace = traces[slot]!;
    const start = view.startTimeUnixNano(i);
    const length = view.spanLength(i);
    if (!keeps(task, out, trace, start, length, length)) return;
    if (otlp === null) {
      out.spans.push(r, trace, out.sink.append(view.bytes, view.spanOffset(i), length), length, NO_ROW, 0);
    } else {
      const entry = view.trailerEntryOffset(i);
      const traceId = bytesToHex(view.bytes, entry, TRACE_ID_BYTES);
      const spanId = bytesToHex(view.bytes, entry + TRACE_ID_BYTES, SPAN_ID_BYTES);
      const record = view.bytes.subarray(view.spanOffset(i), view.spanOffset(i) + length);
      const at = writeOtlpSpan(otlp, out, r, common!, decodeSpanRecord(record, traceId, spanId, start, common!.resource, common!.scope));
      out.spans.push(r, trace, at, length, NO_ROW, otlp.length - at);
    }
    const idAt = view.trailerEntryOffset(i) + TRACE_ID_BYTES;
    for (let b = 0; b < SPAN_ID_BYTES; b++) out.spanIds.push(view.bytes[idAt + b]!);
    out.starts.push(start);
  });
  return found;
}

/**
 * A version-2 record: the wanted traces' runs. A decoded read decodes only those runs' rows
 * (§2.7.5); a raw read decodes nothing and returns the batch once, however many rows it yields.
 */
function sliceColumnar(view: ColumnarView, task: RecordTask, r: number, traces: number[], out: TaskOutput): number[] {
  const found = new Array<number>(traces.length).fill(0);
  const share = rowShareBytes(view);
  const common = task.raw ? null : decodeColumnarCommon(view);
  for (let run = 0; run < view.runCount; run++) {
    // A call may ask for one trace more than once: every slot that wants this run gets its rows,
    // decoded for each (as version 1 decodes a record per span entry), so no two traces share objects.
    for (let slot = 0; slot < traces.length; slot++) {
      if (!view.runTraceIdEquals(run, task.traceIds, traces[slot]! * TRACE_ID_BYTES)) continue;
      const trace = traces[slot]!;
      const first = view.runFirstRow(run);
      const rowCount = view.runRowCount(run);
      found[slot] += rowCount;
      const spans = common === null ? null : decodedRun(view, common, run, task, r);
      for (let k = 0; k < rowCount; k++) {
        const row = first + k;
        const batchInSink = task.raw && out.batches[2 * r + 1] !== 0;
        const added = task.raw ? (batchInSink ? 0 : view.bytes.length) : share;
        const start = view.startTimeUnixNano(row);
        if (!keeps(task, out, trace, start, share, added)) continue;
        let where = 0;
        let length = 0;
        if (spans === null) {
          if (!batchInSink) {
            out.batches[2 * r] = out.sink.append(view.bytes, 0, view.bytes.length);
            out.batches[2 * r + 1] = view.bytes.length;
          }
        } else if (out.otlp !== null) {
          where = writeOtlpSpan(out.otlp, out, r, common!, spans[k]!);
          length = out.otlp.length - where;
        } else {
          where = out.decoded.length;
          out.decoded.push(spans[k]!);
          out.decodedBytes += share;
        }
        out.spans.push(r, trace, where, share, row, length);
        const idAt = view.spanIdOffset(row);
        for (let b = 0; b < SPAN_ID_BYTES; b++) out.spanIds.push(view.bytes[idAt + b]!);
        out.starts.push(start);
      }
    }
  }
  return found;
}

/**
 * An OTLP read's Span field for `span` of record `r`, written after the record's shared fields the
 * first time the record keeps a span; where it starts in `otlp`.
 */
function writeOtlpSpan(otlp: ProtobufBuilder, out: TaskOutput, r: number, common: BatchCommon, span: Span): number {
  const entry = r * SHARED_FIELDS_ENTRY;
  // A resource field is never empty (its tag and length alone are two bytes): 0 means not yet written.
  if (out.shared[entry + 1] === 0) writeSharedFields(otlp, common.resource, common.scope, out.shared, entry);
  const at = otlp.length;
  writeSpan(otlp, span);
  return at;
}

/** Run `run`'s rows decoded; damage in its columns is ERR_SPAN_CORRUPT naming the record. */
function decodedRun(view: ColumnarView, common: BatchCommon, run: number, task: RecordTask, r: number): Span[] {
  try {
    return decodeColumnarRun(view, common, run);
  } catch (error) {
    if (!(error instanceof TraceKvError) || error.code !== 'ERR_SPAN_CORRUPT') throw error;
    const file = task.files[r]!;
    throw new TraceKvError('ERR_SPAN_CORRUPT', `${file} record at ${task.fileOffsets[r]}: ${error.message}`, {
      file,
      offset: task.fileOffsets[r]!,
      cause: error,
    });
  }
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
