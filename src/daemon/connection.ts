/**
 * One client connection: frames in, requests dispatched, responses out, every limit enforced.
 *
 * - Authentication: with a token, the first frame must be HELLO with it, within authDeadlineMs.
 * - Frame deadline: a frame must be complete within frameDeadlineMs of its first byte, or the
 *   connection gets ERR_TIMEOUT and is closed (a client trickling bytes defeats the idle timeout).
 * - Backpressure: past inFlightRequestsMax requests, or pendingOutputBytesMax unsent response bytes,
 *   the daemon stops reading this socket until the client catches up; a client that leaves output
 *   unread for writeDeadlineMs is cut off. Past the global in-flight byte budget (which counts this
 *   connection's unflushed responses too), requests are answered ERR_BUSY with a retry delay and
 *   not run at all; PING and STATS never are, so monitoring sees a daemon under overload.
 * - A malformed frame gets an ERROR and the connection is closed; nothing a client sends can throw
 *   out of this module (the daemon never crashes on input).
 */
import crypto from 'node:crypto';
import type net from 'node:net';
import { PROTOCOL_VERSION, REQUEST_OVERHEAD_BYTES } from '../constants.js';
import { TraceKvError, internalError } from '../errors.js';
import { FLAG_MORE, FrameDecoder, Opcode, ProtocolError, RESPONSE_BIT, encodeFrame, type Frame } from '../protocol/frame.js';
import { describeWireValue } from '../protocol/wire-values.js';
import type { ResolvedDaemonOptions } from './daemon-options.js';
import { FrameDeadline } from './frame-deadline.js';
import { handleAppend, handleRead, type Header, type Respond } from './handlers.js';
import type { InFlightBudget } from './in-flight-budget.js';
import type { DaemonMetrics } from './metrics.js';
import type { EmbeddedTraceStoreApi } from '../api/index.js';
import type { LookupObserver } from '../query/index.js';

/** What a connection shares with its server. */
export interface ConnectionContext {
  store: EmbeddedTraceStoreApi;
  options: ResolvedDaemonOptions;
  metrics: DaemonMetrics;
  /** The global in-flight byte budget, shared by every connection. */
  budget: InFlightBudget;
  requestTracesMax: number;
  /** Told of every GET_SPAN, GET_TRACE and GET_TRACES the connection runs (none when left out). */
  lookupObserver?: LookupObserver;
  /** Every in-flight append, so shutdown can wait for them. */
  trackAppend(done: Promise<unknown>): void;
}

/** Answered whatever the in-flight budget holds: tiny, and what monitoring needs most under overload. */
const NEVER_BUSY_OPCODES: ReadonlySet<number> = new Set([Opcode.PING, Opcode.STATS]);

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value, 'utf8').digest();
}

export class Connection {
  private readonly decoder: FrameDecoder;
  private authenticated: boolean;
  private inFlight = 0;
  private closed = false;
  private readPaused = false;
  private authTimer: NodeJS.Timeout | null = null;
  private writeTimer: NodeJS.Timeout | null = null;
  private readonly frameDeadline: FrameDeadline;
  private readonly tokenDigest: Buffer | null;
  /** Response bytes charged to the budget and not yet flushed by the socket. */
  private unflushedBytes = 0;
  /** Set once the connection is gone and unflushedBytes went back to the budget: later flushes release nothing. */
  private outputReleased = false;

  constructor(
    private readonly socket: net.Socket,
    private readonly context: ConnectionContext,
    private readonly onClose: () => void,
  ) {
    const { options } = context;
    this.decoder = new FrameDecoder(options.frameBytesMax);
    this.tokenDigest = options.token === undefined ? null : digest(options.token);
    this.authenticated = this.tokenDigest === null;
    this.frameDeadline = new FrameDeadline(options.frameDeadlineMs, () => this.frameExpired());
    if (!this.authenticated) {
      this.authTimer = setTimeout(() => this.fail(new TraceKvError('ERR_AUTH', 'no HELLO with a token within the auth deadline'), 0), options.authDeadlineMs);
    }
    socket.setNoDelay(true);
    socket.setTimeout(options.idleTimeoutMs, () => {
      if (this.inFlight === 0) this.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.destroy());
  }

  /** Stops taking requests; in-flight ones still answer, then the socket ends. */
  shutdown(): void {
    this.socket.pause();
    this.frameDeadline.pause();
    this.readPaused = true;
    if (this.inFlight === 0) this.socket.end();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.context.metrics.bytesIn += chunk.length;
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      const requestId = error instanceof ProtocolError ? error.requestId : 0;
      this.fail(error instanceof TraceKvError ? error : new TraceKvError('ERR_PROTOCOL', String(error)), requestId);
      return;
    }
    this.frameDeadline.afterRead(this.decoder.pendingBytes > 0, frames.length > 0);
    for (const frame of frames) {
      if (this.closed) return;
      this.onFrame(frame);
    }
  }

  private onFrame(frame: Frame): void {
    const { opcode, requestId, header } = frame;
    if (opcode === Opcode.HELLO) {
      this.hello(requestId, header);
      return;
    }
    if (!this.authenticated) {
      this.fail(new TraceKvError('ERR_AUTH', 'authenticate with HELLO and the token first'), requestId);
      return;
    }
    const { budget } = this.context;
    const cost = NEVER_BUSY_OPCODES.has(opcode) ? 0 : frame.payload.length + REQUEST_OVERHEAD_BYTES;
    if (cost > 0 && !budget.tryReserve(cost)) {
      this.context.metrics.busyReplies++;
      const retryAfterMs = budget.retryAfterMs(cost);
      this.sendError(requestId, new TraceKvError('ERR_BUSY', 'the daemon is over its in-flight byte budget; retry later', { retryAfterMs }));
      return;
    }
    this.inFlight++;
    this.context.metrics.inFlightRequests++;
    this.updateReading();
    // A request's answer ends with its last frame, or with an ERROR sent in place of a frame too
    // large to send: after either, nothing more goes out for its id (the client no longer has
    // it in flight, and a frame for it would be a protocol error that ends the connection).
    let answered = false;
    const respond: Respond = (responseHeader, more) => {
      if (answered) return;
      const sent = this.send(opcode | RESPONSE_BIT, more ? FLAG_MORE : 0, requestId, responseHeader);
      if (!sent || !more) answered = true;
    };
    const work = this.dispatch(frame, respond).catch((error: unknown) => {
      if (answered) return;
      answered = true;
      const typed = error instanceof TraceKvError ? error : internalError('in the daemon', error);
      this.sendError(requestId, typed);
    });
    if (opcode === Opcode.APPEND) this.context.trackAppend(work);
    void work.finally(() => {
      budget.release(cost);
      this.inFlight--;
      this.context.metrics.inFlightRequests--;
      this.updateReading();
    });
  }

  private async dispatch(frame: Frame, respond: Respond): Promise<void> {
    const { store, metrics, requestTracesMax, lookupObserver } = this.context;
    switch (frame.opcode) {
      case Opcode.APPEND:
        await handleAppend(store, frame.payload, respond);
        metrics.appends++;
        return;
      case Opcode.GET_SPAN:
      case Opcode.GET_TRACE:
      case Opcode.GET_TRACES:
        return handleRead(store, frame.opcode, frame.header, requestTracesMax, respond, lookupObserver);
      case Opcode.STATS:
        respond({ store: store.stats(), server: this.context.metrics.snapshot() }, false);
        return;
      case Opcode.PING:
        respond({}, false);
        return;
      default:
        throw new TraceKvError('ERR_UNKNOWN_OPCODE', `opcode got 0x${frame.opcode.toString(16)}; want one of data-format.md §6.2`);
    }
  }

  private hello(requestId: number, header: Header): void {
    if (header.version !== PROTOCOL_VERSION) {
      this.sendError(requestId, new TraceKvError('ERR_UNSUPPORTED_VERSION', `protocol version got ${describeWireValue(header.version)}; want ${PROTOCOL_VERSION}`));
      return;
    }
    if (this.tokenDigest !== null) {
      const token = header.token;
      // Compare fixed-size digests: timingSafeEqual needs equal lengths, and a length check would leak.
      const ok = typeof token === 'string' && crypto.timingSafeEqual(digest(token), this.tokenDigest);
      if (!ok) {
        this.fail(new TraceKvError('ERR_AUTH', 'wrong or missing token'), requestId);
        return;
      }
    }
    this.authenticated = true;
    if (this.authTimer !== null) clearTimeout(this.authTimer);
    this.authTimer = null;
    this.send(Opcode.HELLO | RESPONSE_BIT, 0, requestId, { version: PROTOCOL_VERSION, server: 'tracekv', frameBytesMax: this.context.options.frameBytesMax });
  }

  /** Sends a frame; false when it went as an ERROR instead (it could not be encoded, or too large). */
  private send(opcode: number, flags: number, requestId: number, header: Header): boolean {
    if (this.closed) return true;
    let frame: Buffer;
    let replaced = false;
    try {
      frame = encodeFrame(opcode, flags, requestId, header);
    } catch (error) {
      frame = encodeFrame(Opcode.ERROR, 0, requestId, { code: 'ERR_INTERNAL', message: `internal error in the daemon: response could not be encoded: ${String(error)}` });
      replaced = true;
    }
    if (frame.length > this.context.options.frameBytesMax + 4) {
      // The request asked for more than one frame can carry: a request limit, as embedded.
      const message = `response of ${frame.length} bytes exceeds frameBytesMax (${this.context.options.frameBytesMax}); ask for less`;
      frame = encodeFrame(Opcode.ERROR, 0, requestId, { code: 'ERR_REQUEST_TOO_LARGE', message });
      replaced = true;
    }
    this.context.metrics.bytesOut += frame.length;
    const bytes = frame.length;
    this.context.budget.charge(bytes);
    this.unflushedBytes += bytes;
    const flushed = this.socket.write(frame, () => this.onFlushed(bytes));
    if (!flushed && this.writeTimer === null) {
      // The client is not reading; give it writeDeadlineMs to catch up.
      this.writeTimer = setTimeout(() => this.destroy(), this.context.options.writeDeadlineMs);
    }
    this.updateReading();
    return !replaced;
  }

  private sendError(requestId: number, error: TraceKvError): void {
    this.context.metrics.countError(error.code);
    const header: Header = { code: error.code, message: error.message };
    if (error.retryAfterMs !== undefined) header.retryAfterMs = error.retryAfterMs;
    this.send(Opcode.ERROR, 0, requestId, header);
  }

  /** The socket flushed (or, closing, dropped) a response frame: its bytes leave the budget. */
  private onFlushed(bytes: number): void {
    if (this.outputReleased) return;
    this.unflushedBytes -= bytes;
    this.context.budget.release(bytes);
  }

  /** The connection is gone: whatever it still held goes back to the budget, once. */
  private releaseOutput(): void {
    if (this.outputReleased) return;
    this.outputReleased = true;
    this.context.budget.release(this.unflushedBytes);
    this.unflushedBytes = 0;
  }

  private frameExpired(): void {
    const { pendingBytes, pendingFrameBytes, pendingRequestId } = this.decoder;
    const want = pendingFrameBytes === 0 ? '≥ 4 (its length)' : String(pendingFrameBytes);
    const message = `frame not complete within frameDeadlineMs (${this.context.options.frameDeadlineMs} ms) of its first byte: got ${pendingBytes} bytes; want ${want}`;
    this.fail(new TraceKvError('ERR_TIMEOUT', message), pendingRequestId);
  }

  /** Answers with an ERROR, then closes: the stream can no longer be trusted. */
  private fail(error: TraceKvError, requestId: number): void {
    if (this.closed) return;
    this.sendError(requestId, error);
    this.closed = true;
    this.clearTimers();
    this.socket.end();
    // A peer that never reads must not keep the socket open. Held as the write timer so that the
    // socket's close clears it: left pending, it kept the whole connection (and its decoder's
    // buffered bytes) alive for writeDeadlineMs after the peer was gone (found by the protocol fuzz).
    this.writeTimer = setTimeout(() => this.socket.destroy(), this.context.options.writeDeadlineMs).unref();
    this.onClose();
  }

  private onDrain(): void {
    // After fail() the write timer is the destroy timer of a socket the daemon hung up on: keep it.
    if (this.closed) return;
    if (this.writeTimer !== null) clearTimeout(this.writeTimer);
    this.writeTimer = null;
    this.updateReading();
  }

  private updateReading(): void {
    if (this.closed) return;
    const { inFlightRequestsMax, pendingOutputBytesMax } = this.context.options;
    const tooBusy = this.inFlight >= inFlightRequestsMax || this.socket.writableLength > pendingOutputBytesMax;
    if (tooBusy || this.readPaused) {
      this.socket.pause();
      this.frameDeadline.pause();
    } else {
      this.socket.resume();
      this.frameDeadline.resume();
    }
    if (this.readPaused && this.inFlight === 0) this.socket.end();
  }

  private clearTimers(): void {
    if (this.authTimer !== null) clearTimeout(this.authTimer);
    if (this.writeTimer !== null) clearTimeout(this.writeTimer);
    this.authTimer = null;
    this.writeTimer = null;
    this.frameDeadline.clear();
  }

  private destroy(): void {
    if (!this.closed) {
      this.closed = true;
      this.onClose();
    }
    this.clearTimers();
    this.releaseOutput();
    this.socket.destroy();
  }
}
