/**
 * TraceClient: the TraceStoreApi over the daemon protocol (data-format.md §6), so code written
 * against the embedded TraceStore runs remotely unchanged, with the same arguments, the same
 * argument errors (raised before any I/O) and results that deep-equal the embedded ones.
 *
 * One connection at a time, opened by connect() and reopened lazily by the next call after it
 * fails, with backoff between failed connects. Requests are pipelined on it, at most
 * CLIENT_REQUESTS_IN_FLIGHT_MAX at once; later calls queue for a slot in arrival order.
 *
 * When a call is tried again (exponential backoff with full jitter, never sooner than the daemon's
 * retryAfterMs, at most retriesMax times, all within the call's deadline):
 * - any request answered ERR_BUSY: the daemon did nothing with it;
 * - any request that never left the client (the connect failed);
 * - a read whose connection failed under it: reads are idempotent.
 * Never an APPEND whose connection failed after it was sent, nor one that timed out: the daemon may
 * have stored the batch, and sending it again could store it twice. It rejects with its code
 * (ERR_CONNECTION, ERR_TIMEOUT, ERR_PROTOCOL) and a message saying the outcome is unknown.
 *
 * Every ERR_TIMEOUT carries `sent`: false only when no attempt ever handed the request's bytes to
 * the socket (it timed out waiting for a slot, a connect or a backoff), so the caller may send it
 * again without risk of a duplicate; true as soon as one attempt did, even if a later one did not.
 */
import { FRAME_LENGTH_MIN } from '../constants.js';
import { TraceKvError, invalidArgument } from '../errors.js';
import type { AppendResult, RawSpan, ReadOptions, RemoteStats, Span, SpanIdInput, Trace, TraceIdInput, TraceQuery, TraceStoreApi } from '../api/index.js';
import { CallDeadline, CloseSignal, backoffDelayMs } from './call-deadline.js';
import { type ResolvedClientOptions, type TraceClientOptions, resolveClientOptions } from './client-options.js';
import { Connection, ConnectionLostError } from './connection.js';
import { CLIENT_REQUESTS_IN_FLIGHT_MAX, TIMEOUT_MS_LIMIT } from '../constants.js';
import {
  type WireRequest,
  appendRequest,
  getSpanRequest,
  getTraceRequest,
  getTracesRequest,
  pingRequest,
  readOptionsOf,
  statsRequest,
} from './requests.js';
import { RequestSlots } from './request-slots.js';

export type { RemoteStats };
export type { TraceClientOptions } from './client-options.js';

/** Counters since connect(), for dashboards and tests. */
export interface ClientStats {
  /** Calls made (each counts once however many attempts it took). */
  requests: number;
  /** Attempts after the first. */
  retries: number;
  /** Connections opened after the first. */
  reconnects: number;
  /** ERR_BUSY answers received. */
  busyReplies: number;
  /** Calls that rejected, by error code. */
  errors: Record<string, number>;
  /** Requests sent and not yet answered (including ones whose caller timed out). */
  inFlight: number;
  /** Calls waiting for a slot. */
  queued: number;
  connected: boolean;
}

/** What one attempt got to, which decides whether the daemon may have acted on it. */
interface AttemptProgress {
  sent: boolean;
  answered: boolean;
}

/** msgpack of an empty map (fixmap 0x80): the APPEND header. */
const EMPTY_HEADER_BYTES = 1;

export class TraceClient implements TraceStoreApi {
  private readonly slots = new RequestSlots(CLIENT_REQUESTS_IN_FLIGHT_MAX);
  private readonly closed: CloseSignal;
  private connection: Connection;
  private connecting: Promise<Connection> | null = null;
  private connectFailures = 0;
  private nextConnectAtMs = 0;
  private closing: Promise<void> | null = null;
  private readonly counters = { requests: 0, retries: 0, reconnects: 0, busyReplies: 0, errors: {} as Record<string, number> };

  /** Connects and completes HELLO once, without retries, so a wrong address or token fails at once. */
  static async connect(options: TraceClientOptions): Promise<TraceClient> {
    const resolved = resolveClientOptions(options);
    const closed = new CloseSignal();
    const connection = await Connection.open(resolved, closed);
    return new TraceClient(resolved, closed, connection);
  }

  private constructor(
    private readonly options: ResolvedClientOptions,
    closed: CloseSignal,
    connection: Connection,
  ) {
    this.closed = closed;
    this.connection = connection;
  }

  get clientStats(): ClientStats {
    return {
      ...this.counters,
      errors: { ...this.counters.errors },
      inFlight: this.slots.inUse,
      queued: this.slots.queued,
      connected: this.closed.reason === null && this.connection.isOpen,
    };
  }

  /** Resolves once the daemon has made the batch durable. Never retried once sent unless answered ERR_BUSY. */
  append(batch: Uint8Array): Promise<AppendResult> {
    return this.call(() => {
      const request = appendRequest(batch);
      // The daemon's limit from the last HELLO: a batch it would refuse is not worth sending.
      const frameLength = FRAME_LENGTH_MIN + EMPTY_HEADER_BYTES + batch.length;
      if (frameLength > this.connection.outgoingFrameBytesMax) {
        throw new TraceKvError(
          'ERR_BATCH_TOO_LARGE',
          `append: a batch of ${batch.length} bytes makes a frame of ${frameLength} bytes; want ≤ the daemon's frameBytesMax ${this.connection.outgoingFrameBytesMax}`,
        );
      }
      return request;
    }, undefined);
  }

  getSpan(traceId: TraceIdInput, spanId: SpanIdInput, options?: Pick<ReadOptions, 'timeoutMs'>): Promise<Span | null> {
    return this.call(() => getSpanRequest(traceId, spanId, options), options);
  }

  getTrace(traceId: TraceIdInput, options: ReadOptions & { raw: true }): Promise<Trace<RawSpan> | null>;
  getTrace(traceId: TraceIdInput, options?: ReadOptions & { raw?: false }): Promise<Trace<Span> | null>;
  getTrace(traceId: TraceIdInput, options?: ReadOptions): Promise<Trace<Span | RawSpan> | null>;
  getTrace(traceId: TraceIdInput, options?: ReadOptions): Promise<Trace<Span | RawSpan> | null> {
    return this.call(() => getTraceRequest(traceId, readOptionsOf(options)), options);
  }

  /** Results in input order, null for a miss; an id may carry its own `{ traceId, startTimeUnixNano?, endTimeUnixNano? }`. */
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options: ReadOptions & { raw: true }): Promise<(Trace<RawSpan> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions & { raw?: false }): Promise<(Trace<Span> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions): Promise<(Trace<Span | RawSpan> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions): Promise<(Trace<Span | RawSpan> | null)[]> {
    return this.call(() => getTracesRequest(traceIds, readOptionsOf(options)), options);
  }

  /** The daemon's 0x86 reply: `{ store, server }`. */
  stats(): Promise<RemoteStats> {
    return this.call(() => statsRequest(), undefined);
  }

  ping(): Promise<void> {
    return this.call(() => pingRequest(), undefined);
  }

  /** Closes the connection; every pending call rejects with ERR_CONNECTION. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const reason = new TraceKvError('ERR_CONNECTION', 'the TraceClient was closed before the daemon answered');
    this.closed.close(reason);
    await this.connection.close(reason);
  }

  /** Builds the request (argument errors surface here, before any I/O), then runs its attempts. */
  private async call<T>(build: () => WireRequest<T>, options: { timeoutMs?: number } | undefined): Promise<T> {
    this.counters.requests++;
    try {
      if (this.closed.reason !== null) throw new TraceKvError('ERR_CONNECTION', 'the TraceClient is closed');
      const request = build();
      return await this.attempts(request, new CallDeadline(request.what, this.timeoutOf(readOptionsOf(options)), this.closed));
    } catch (error) {
      const code = error instanceof TraceKvError ? error.code : 'BUG';
      this.counters.errors[code] = (this.counters.errors[code] ?? 0) + 1;
      throw error;
    }
  }

  private timeoutOf(options: { timeoutMs?: number }): number {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0) || timeoutMs > TIMEOUT_MS_LIMIT) {
      throw invalidArgument(`timeoutMs: got ${String(timeoutMs)}; want a positive number ≤ ${TIMEOUT_MS_LIMIT}`);
    }
    return timeoutMs;
  }

  private async attempts<T>(request: WireRequest<T>, deadline: CallDeadline): Promise<T> {
    // Whether any attempt so far handed its bytes to the socket: what ERR_TIMEOUT's `sent` reports.
    let sentEver = false;
    try {
      for (let attempt = 0; ; attempt++) {
        const progress: AttemptProgress = { sent: false, answered: false };
        let error: TraceKvError;
        try {
          return await this.attempt(request, deadline, progress);
        } catch (caught) {
          if (!(caught instanceof TraceKvError)) throw caught;
          error = caught;
        } finally {
          sentEver ||= progress.sent;
        }
        if (error.code === 'ERR_BUSY') this.counters.busyReplies++;
        if (attempt >= this.options.retriesMax || !this.mayRetry(request, error, progress)) throw finalError(request, error, progress);
        this.counters.retries++;
        await deadline.backoff(backoffDelayMs(attempt, this.options.retryBaseMs, this.options.retryCapMs, error.retryAfterMs), error);
      }
    } catch (error) {
      if (error instanceof TraceKvError && error.code === 'ERR_TIMEOUT') throw timeoutSaying(error, sentEver);
      throw error;
    }
  }

  private mayRetry(request: WireRequest<unknown>, error: TraceKvError, progress: AttemptProgress): boolean {
    if (this.closed.reason !== null) return false;
    if (error.code !== 'ERR_BUSY' && error.code !== 'ERR_CONNECTION') return false;
    if (!progress.sent) return true;
    if (error instanceof ConnectionLostError) return request.idempotent;
    // An answer: only ERR_BUSY promises the daemon did nothing with the request.
    return progress.answered && error.code === 'ERR_BUSY';
  }

  private async attempt<T>(request: WireRequest<T>, deadline: CallDeadline, progress: AttemptProgress): Promise<T> {
    await this.slots.acquire(deadline);
    const reader = request.reader();
    let done: Promise<void>;
    let abandon: () => void;
    try {
      const connection = await this.connectionFor(deadline);
      deadline.check();
      if (!connection.isOpen) throw new TraceKvError('ERR_CONNECTION', `${connection.address}: the connection closed before the request was sent`);
      ({ done, abandon } = connection.send(request.opcode, request.header, request.payload, reader, () => this.slots.release()));
    } catch (error) {
      // The request never reached the connection, so the slot is still ours to free.
      this.slots.release();
      throw error;
    }
    progress.sent = true;
    const answered = done.then(
      () => {
        progress.answered = true;
      },
      (error: unknown) => {
        if (!(error instanceof ConnectionLostError)) progress.answered = true;
        throw error;
      },
    );
    await deadline.wait(answered, abandon);
    return reader.result();
  }

  /** The open connection, or a new one: one connect at a time, shared by every call that needs it. */
  private connectionFor(deadline: CallDeadline): Promise<Connection> {
    if (this.connection.isOpen) return Promise.resolve(this.connection);
    if (this.connecting === null) {
      const connecting = this.reconnect();
      this.connecting = connecting;
      const clear = () => {
        if (this.connecting === connecting) this.connecting = null;
      };
      connecting.then(clear, clear);
    }
    return deadline.wait(this.connecting!);
  }

  /** Waits out the backoff of earlier failed connects, then connects (TCP, TLS, HELLO). */
  private async reconnect(): Promise<Connection> {
    const waitMs = this.nextConnectAtMs - performance.now();
    // Unref'd: a call waiting for this connect keeps the process alive through its own deadline.
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs).unref());
    if (this.closed.reason !== null) throw this.closed.reason;
    let connection: Connection;
    try {
      connection = await Connection.open(this.options, this.closed);
    } catch (error) {
      this.nextConnectAtMs = performance.now() + backoffDelayMs(this.connectFailures, this.options.retryBaseMs, this.options.retryCapMs);
      this.connectFailures++;
      throw error;
    }
    if (this.closed.reason !== null) {
      void connection.close(this.closed.reason);
      throw this.closed.reason;
    }
    this.connection = connection;
    this.connectFailures = 0;
    this.counters.reconnects++;
    return connection;
  }
}

/**
 * A call's ERR_TIMEOUT with `sent` set. "Sent" means socket.write was called with the request's
 * bytes on some attempt: from then on they may be in the kernel or on the wire, so the daemon may
 * have them. Before it they exist only in this process, so `sent: false` is a promise that no
 * attempt's bytes can ever reach the daemon (a late connect never sends them: the attempt that
 * waited for it is gone), which makes a resend safe even for an APPEND.
 */
function timeoutSaying(error: TraceKvError, sent: boolean): TraceKvError {
  const says = sent
    ? 'sent: true, the request was written to the socket, so the daemon may have received it'
    : 'sent: false, the request never reached the socket on any attempt, so the daemon cannot have received it';
  return new TraceKvError('ERR_TIMEOUT', `${error.message} (${says})`, { sent, ...(error.cause === undefined ? {} : { cause: error.cause }) });
}

/** The error a call rejects with: as it is, unless the daemon may have acted on an APPEND nobody heard back from. */
function finalError(request: WireRequest<unknown>, error: TraceKvError, progress: AttemptProgress): TraceKvError {
  if (request.idempotent || !progress.sent || progress.answered) return error;
  return new TraceKvError(
    error.code,
    `${request.what}: ${error.message}; the outcome is unknown (the daemon may or may not have stored the batch), so it was not retried`,
    { cause: error },
  );
}
