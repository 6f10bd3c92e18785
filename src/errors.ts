/**
 * Typed errors. Every operating error (bad input, corrupt bytes, I/O faults, misuse of a closed
 * store) is a TraceKvError with a stable string `code`; programmer errors are `assert`s whose
 * message starts with "BUG:".
 */

export type TraceKvErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_INVALID_OPTION'
  | 'ERR_BATCH_CORRUPT'
  | 'ERR_BATCH_TOO_LARGE'
  | 'ERR_BATCH_UNSUPPORTED'
  | 'ERR_SPAN_CORRUPT'
  | 'ERR_SEGMENT_CORRUPT'
  | 'ERR_INDEX_CORRUPT'
  | 'ERR_GENERATION_CORRUPT'
  | 'ERR_STORE_LOCKED'
  | 'ERR_STORE_CLOSED'
  | 'ERR_READ_ONLY'
  | 'ERR_STORE_FAILED'
  | 'ERR_TRACE_TOO_LARGE'
  | 'ERR_REQUEST_TOO_LARGE'
  | 'ERR_TIMEOUT'
  | 'ERR_READER_FAILED'
  | 'ERR_PROTOCOL'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_UNKNOWN_OPCODE'
  | 'ERR_UNSUPPORTED_VERSION'
  | 'ERR_AUTH'
  | 'ERR_BUSY'
  | 'ERR_CONNECTION'
  | 'ERR_IO'
  /**
   * A failure that is no operating error: a bug (a TypeError in a reader worker, say) or a native
   * binding that failed (zstd would not load, or rejected its arguments). Neither the input nor
   * the disk is to blame; `cause` is the original error, its stack included, even from a worker.
   */
  | 'ERR_INTERNAL';

export interface TraceKvErrorDetails {
  /** The file the problem was found in, when there is one. */
  file?: string;
  /** Byte offset in that file (or in the batch, for batch errors). */
  offset?: number;
  /** The option name, for ERR_INVALID_OPTION. */
  option?: string;
  /** For ERR_BUSY: when the daemon suggests trying again. */
  retryAfterMs?: number;
  /**
   * For a TraceClient ERR_TIMEOUT: whether any attempt's request bytes were handed to the socket.
   * false means no attempt's were, so the daemon cannot have received the request and sending it
   * again is safe; true means it may have (and, for an APPEND, may have stored the batch).
   */
  sent?: boolean;
  cause?: unknown;
}

export class TraceKvError extends Error {
  readonly code: TraceKvErrorCode;
  readonly file?: string;
  readonly offset?: number;
  readonly option?: string;
  readonly retryAfterMs?: number;
  readonly sent?: boolean;

  constructor(code: TraceKvErrorCode, message: string, details: TraceKvErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'TraceKvError';
    this.code = code;
    if (details.file !== undefined) this.file = details.file;
    if (details.offset !== undefined) this.offset = details.offset;
    if (details.option !== undefined) this.option = details.option;
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs;
    if (details.sent !== undefined) this.sent = details.sent;
  }
}

/** Bad bytes in a client batch: the batch is rejected whole and nothing of it is stored. */
export function batchCorrupt(message: string, offset?: number): TraceKvError {
  return new TraceKvError('ERR_BATCH_CORRUPT', message, offset === undefined ? {} : { offset });
}

export function invalidArgument(message: string): TraceKvError {
  return new TraceKvError('ERR_INVALID_ARGUMENT', message);
}

export function invalidOption(option: string, message: string): TraceKvError {
  return new TraceKvError('ERR_INVALID_OPTION', `option ${option}: ${message}`, { option });
}

export function segmentCorrupt(file: string, offset: number, message: string): TraceKvError {
  return new TraceKvError('ERR_SEGMENT_CORRUPT', `${file} at offset ${offset}: ${message}`, { file, offset });
}

export function indexCorrupt(file: string, offset: number, message: string): TraceKvError {
  return new TraceKvError('ERR_INDEX_CORRUPT', `${file} at offset ${offset}: ${message}`, { file, offset });
}

export function ioError(file: string, operation: string, cause: unknown): TraceKvError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new TraceKvError('ERR_IO', `${operation} ${file}: ${reason}`, { file, cause });
}

/**
 * ERR_INTERNAL for `cause`, a non-TraceKvError caught `context` (e.g. "in a reader"). Its
 * name, code and message are kept in ours, as in "TypeError: x is undefined" or "Error [InvalidArg]: ".
 */
export function internalError(context: string, cause: unknown): TraceKvError {
  return new TraceKvError('ERR_INTERNAL', `internal error ${context}: ${describeError(cause)}`, { cause });
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${typeof code === 'string' ? ` [${code}]` : ''}: ${error.message}`;
}

/** Assertion for programmer errors only; never for input, disk or network data. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`BUG: ${message}`);
}
