/**
 * Response headers (data-format.md §6.2) into the results of the embedded API. Nothing from the
 * network is trusted: every field the client relies on is checked, and a response of the wrong
 * shape is ERR_PROTOCOL (the connection then closes, since its stream is no longer trustworthy).
 *
 * Span contents are not re-validated field by field: the daemon decoded them with the same codec
 * the embedded store uses. They are converted back to embedded shapes (Buffer → Uint8Array, nil
 * optional fields → absent keys) with fromWireValue.
 */
import { TraceKvError, type TraceKvErrorCode } from '../errors.js';
import type { AppendResult, RawSpan, RemoteStats, Span, StoreStats, Trace } from '../api/index.js';
import { fromWireValue, toPlainBytes } from '../protocol/wire-values.js';

export type Header = Record<string, unknown>;

/** Reads the frames of one response. A fresh reader per attempt, so a failed attempt's frames never leak into a retry. */
export interface ResponseReader {
  /** One response frame's header (never ERROR); `more` is its MORE flag. Throws ERR_PROTOCOL on a bad shape. */
  frame(header: Header, more: boolean): void;
}

/** A ResponseReader that also yields the call's result once the last frame is in. */
export interface ResultReader<T> extends ResponseReader {
  result(): T;
}

export type { RemoteStats };

export function protocolError(message: string): TraceKvError {
  return new TraceKvError('ERR_PROTOCOL', message);
}

/** ERROR codes are upper-case identifiers with the ERR_ prefix; anything else is a broken peer. */
const ERROR_CODE_PATTERN = /^ERR_[A-Z0-9_]{1,60}$/;

/** An ERROR frame's `{ code, message, retryAfterMs? }` as the TraceKvError it stands for, code and message unchanged. */
export function serverErrorOf(header: Header): TraceKvError {
  const { code, message, retryAfterMs } = header;
  if (typeof code !== 'string' || !ERROR_CODE_PATTERN.test(code)) throw protocolError(`ERROR frame code got ${describe(code)}; want ERR_...`);
  if (typeof message !== 'string') throw protocolError(`ERROR frame message got ${describe(message)}; want a string`);
  if (retryAfterMs === undefined || retryAfterMs === null) return new TraceKvError(code as TraceKvErrorCode, message);
  if (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
    throw protocolError(`ERROR frame retryAfterMs got ${describe(retryAfterMs)}; want a non-negative number`);
  }
  return new TraceKvError(code as TraceKvErrorCode, message, { retryAfterMs });
}

/** Keeps the last (only) frame's header as it is: HELLO replies. */
export class HeaderReader implements ResponseReader {
  header: Header = {};

  frame(header: Header): void {
    this.header = header;
  }
}

export class AppendReader implements ResultReader<AppendResult> {
  private value: AppendResult | null = null;

  frame(header: Header): void {
    this.value = {
      spans: countField(header, 'spans'),
      generationId: countField(header, 'generationId'),
      segmentId: countField(header, 'segmentId'),
      fileOffset: countField(header, 'fileOffset'),
    };
  }

  result(): AppendResult {
    return this.value!;
  }
}

export class SpanReader implements ResultReader<Span | null> {
  private value: Span | null = null;

  frame(header: Header): void {
    const span = header.span;
    if (span === undefined || span === null) return;
    if (!isObject(span)) throw protocolError(`GET_SPAN reply span got ${describe(span)}; want a map or nil`);
    this.value = fromWireValue(span) as unknown as Span;
  }

  result(): Span | null {
    return this.value;
  }
}

export class TraceReader implements ResultReader<Trace<Span | RawSpan> | null> {
  private value: Trace<Span | RawSpan> | null = null;

  frame(header: Header): void {
    this.value = traceOf(header.trace, 'GET_TRACE reply trace');
  }

  result(): Trace<Span | RawSpan> | null {
    return this.value;
  }
}

/**
 * Assembles a streamed GET_TRACES reply: each frame carries some `{ index, trace }` items in any
 * order. Each index must come exactly once, and every frame but the last must carry at least one,
 * so a reply has at most ids + 1 frames however the daemon behaves.
 */
export class TracesReader implements ResultReader<(Trace<Span | RawSpan> | null)[]> {
  private readonly traces: (Trace<Span | RawSpan> | null)[];
  private readonly answered: Uint8Array;
  private answeredCount = 0;

  constructor(private readonly count: number) {
    this.traces = new Array<Trace<Span | RawSpan> | null>(count).fill(null);
    this.answered = new Uint8Array(count);
  }

  frame(header: Header, more: boolean): void {
    const items = header.traces;
    if (!Array.isArray(items)) throw protocolError(`GET_TRACES reply traces got ${describe(items)}; want an array`);
    if (more && items.length === 0) throw protocolError('GET_TRACES reply frame flagged MORE carries no traces');
    for (const item of items) this.add(item);
    if (!more && this.answeredCount !== this.count) {
      throw protocolError(`GET_TRACES reply answered ${this.answeredCount} of ${this.count} ids`);
    }
  }

  private add(item: unknown): void {
    if (!isObject(item)) throw protocolError(`GET_TRACES reply item got ${describe(item)}; want { index, trace }`);
    const index = item.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= this.count) {
      throw protocolError(`GET_TRACES reply index got ${describe(index)}; want an integer from 0 to ${this.count - 1}`);
    }
    if (this.answered[index] !== 0) throw protocolError(`GET_TRACES reply answered index ${index} twice`);
    this.answered[index] = 1;
    this.answeredCount++;
    this.traces[index] = traceOf(item.trace, `GET_TRACES reply traces[${index}]`);
  }

  result(): (Trace<Span | RawSpan> | null)[] {
    return this.traces;
  }
}

export class StatsReader implements ResultReader<RemoteStats> {
  private value: RemoteStats | null = null;

  frame(header: Header): void {
    const { store, server } = header;
    if (!isObject(store) || !isObject(server)) throw protocolError('STATS reply: want { store: map, server: map }');
    this.value = { store: toPlainBytes(store) as unknown as StoreStats, server: toPlainBytes(server) };
  }

  result(): RemoteStats {
    return this.value!;
  }
}

/** PING: the reply's arrival is the result. */
export class EmptyReader implements ResultReader<void> {
  frame(): void {}

  result(): void {}
}

function traceOf(value: unknown, what: string): Trace<Span | RawSpan> | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value) || typeof value.traceId !== 'string' || !Array.isArray(value.spans)) {
    throw protocolError(`${what} got ${describe(value)}; want { traceId: str, spans: array } or nil`);
  }
  for (const span of value.spans) {
    if (!isObject(span)) throw protocolError(`${what}.spans item got ${describe(span)}; want a map`);
  }
  return fromWireValue(value) as unknown as Trace<Span | RawSpan>;
}

function countField(header: Header, name: string): number {
  const value = header[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw protocolError(`APPEND reply ${name} got ${describe(value)}; want a non-negative integer`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `bin ${value.length}`;
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}
