/**
 * One connection to the daemon (data-format.md §6): HELLO first, then pipelined requests, their
 * responses matched by request id in whatever order they come.
 *
 * A connection never recovers from a failure: a socket error or close, an ERROR frame with request
 * id 0, or any frame that breaks the protocol ends it, and every request still in flight rejects
 * with a ConnectionLostError carrying the reason's code. Whether to try again on a new connection
 * is the client's decision, not this class's.
 */
import type net from 'node:net';
import { FRAME_BYTES_LIMIT, FRAME_BYTES_MAX_DEFAULT, FRAME_LENGTH_MIN, PROTOCOL_VERSION } from '../constants.js';
import { TraceKvError, assert } from '../errors.js';
import { FLAG_MORE, FrameDecoder, Opcode, RESPONSE_BIT, encodeFrameHead, type Frame } from '../protocol/frame.js';
import type { CloseSignal } from './call-deadline.js';
import { CLIENT_REQUESTS_IN_FLIGHT_MAX } from '../constants.js';
import { type Header, HeaderReader, type ResponseReader, protocolError, serverErrorOf } from './responses.js';
import { type SocketTarget, addressOf, connectSocket } from './socket.js';

/** The connection ended before this request's answer came: the daemon may or may not have acted on it. */
export class ConnectionLostError extends TraceKvError {}

export interface ConnectionOptions extends SocketTarget {
  token: string | undefined;
  connectTimeoutMs: number;
  /** Largest frame accepted from the daemon. */
  frameBytesMax: number;
}

export interface Exchange {
  /** Resolves once the last frame of the response has been read into the request's reader. */
  readonly done: Promise<void>;
  /** The caller gave up: the response is dropped when it comes, and its slot is held until then. */
  abandon(): void;
}

interface Pending {
  opcode: number;
  reader: ResponseReader;
  resolve(): void;
  reject(error: TraceKvError): void;
  /** Frees the request's slot; called exactly once, when the request leaves the connection. */
  onSettled: (() => void) | undefined;
  abandoned: boolean;
}

const U32_MAX = 0xffff_ffff;

/** Request ids increase, wrap past u32, skip 0 (reserved for connection-level errors) and ids still in flight. */
export function nextRequestId(last: number, inFlight: ReadonlyMap<number, unknown>): number {
  let id = last;
  do id = id >= U32_MAX ? 1 : id + 1;
  while (inFlight.has(id));
  return id;
}

export class Connection {
  readonly address: string;
  /** The daemon's frameBytesMax from HELLO: no frame sent may be larger. */
  outgoingFrameBytesMax = FRAME_BYTES_MAX_DEFAULT;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder: FrameDecoder;
  private readonly socketClosed: Promise<void>;
  private lastRequestId = 0;
  private abandonedInFlight = 0;
  private failure: TraceKvError | null = null;
  /** The socket is corked until the current tick's work is done (see send). */
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /** Connects, sends HELLO and waits for its reply, all within connectTimeoutMs; gives up when `closed` fires. */
  static async open(options: ConnectionOptions, closed: CloseSignal): Promise<Connection> {
    const startedMs = performance.now();
    const socket = await connectSocket(options, options.connectTimeoutMs, closed);
    const connection = new Connection(socket, options);
    const unlisten = closed.listen((reason) => connection.fail(reason));
    try {
      await connection.hello(options.token, options.connectTimeoutMs - (performance.now() - startedMs), options.connectTimeoutMs);
    } catch (error) {
      connection.fail(error as TraceKvError);
      throw error;
    } finally {
      unlisten();
    }
    return connection;
  }

  private constructor(
    private readonly socket: net.Socket,
    target: SocketTarget & { frameBytesMax: number },
  ) {
    this.address = addressOf(target);
    this.decoder = new FrameDecoder(target.frameBytesMax);
    this.socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new TraceKvError('ERR_CONNECTION', error.message, { cause: error })));
    socket.on('close', () => this.fail(new TraceKvError('ERR_CONNECTION', 'the connection closed')));
  }

  get isOpen(): boolean {
    return this.failure === null;
  }

  /**
   * Sends one request. Throws (sending nothing) ERR_BATCH_TOO_LARGE or ERR_REQUEST_TOO_LARGE when
   * its frame passes the daemon's frameBytesMax. It never throws once it has written a byte: the
   * client counts a request as sent (ERR_TIMEOUT's `sent`) from the moment this returns.
   */
  send(opcode: number, header: Header, payload: Uint8Array | undefined, reader: ResponseReader, onSettled?: () => void): Exchange {
    assert(this.failure === null, 'send on a closed connection');
    assert(this.pending.size < CLIENT_REQUESTS_IN_FLIGHT_MAX, 'more requests in flight than CLIENT_REQUESTS_IN_FLIGHT_MAX');
    const requestId = nextRequestId(this.lastRequestId, this.pending);
    const head = encodeFrameHead(opcode, 0, requestId, header, payload?.length ?? 0);
    const length = head.length - 4 + (payload?.length ?? 0);
    if (length > this.outgoingFrameBytesMax) {
      const code = opcode === Opcode.APPEND ? 'ERR_BATCH_TOO_LARGE' : 'ERR_REQUEST_TOO_LARGE';
      throw new TraceKvError(code, `request frame got ${length} bytes; want ≤ the daemon's frameBytesMax ${this.outgoingFrameBytesMax}`);
    }
    this.lastRequestId = requestId;
    let pending!: Pending;
    const done = new Promise<void>((resolve, reject) => {
      pending = { opcode, reader, resolve, reject, onSettled, abandoned: false };
    });
    this.pending.set(requestId, pending);
    // Every frame sent before this tick's work is done goes out in one writev: the batch is not
    // copied into a frame buffer, and an exporter's batches (one per resource, ten in a W1 export)
    // cost one syscall, not ten. A loopback write costs ~18 µs here, as it runs the receiving side's
    // TCP too: 18% of the exporter's CPU when each frame had its own (measured).
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(head);
    if (payload !== undefined && payload.length > 0) this.socket.write(payload);
    return { done, abandon: () => this.abandon(requestId, pending) };
  }

  /** Ends the connection; requests in flight reject with `reason`'s code. Resolves once the socket is closed. */
  close(reason: TraceKvError): Promise<void> {
    this.fail(reason);
    return this.socketClosed;
  }

  private async hello(token: string | undefined, remainingMs: number, connectTimeoutMs: number): Promise<void> {
    const reader = new HeaderReader();
    const exchange = this.send(Opcode.HELLO, token === undefined ? { version: PROTOCOL_VERSION } : { version: PROTOCOL_VERSION, token }, undefined, reader);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new TraceKvError('ERR_CONNECTION', `${this.address}: no HELLO reply within connectTimeoutMs ${connectTimeoutMs}`));
      }, Math.max(0, remainingMs));
    });
    try {
      await Promise.race([exchange.done, expired]);
    } catch (error) {
      // A HELLO refused with ERR_AUTH or ERR_UNSUPPORTED_VERSION keeps its code, as a plain error.
      const typed = error as TraceKvError;
      if (!(typed instanceof ConnectionLostError)) throw typed;
      throw new TraceKvError(typed.code, typed.message, { cause: typed, ...(typed.retryAfterMs === undefined ? {} : { retryAfterMs: typed.retryAfterMs }) });
    } finally {
      clearTimeout(timer);
    }
    this.acceptHelloReply(reader.header);
  }

  private acceptHelloReply(reply: Header): void {
    if (reply.version !== PROTOCOL_VERSION) {
      throw new TraceKvError('ERR_UNSUPPORTED_VERSION', `${this.address}: HELLO reply version got ${String(reply.version)}; want ${PROTOCOL_VERSION}`);
    }
    const frameBytesMax = typeof reply.frameBytesMax === 'bigint' ? Number(reply.frameBytesMax) : reply.frameBytesMax;
    if (frameBytesMax === undefined) return;
    if (typeof frameBytesMax !== 'number' || !Number.isInteger(frameBytesMax) || frameBytesMax < FRAME_LENGTH_MIN || frameBytesMax > FRAME_BYTES_LIMIT) {
      throw protocolError(`${this.address}: HELLO reply frameBytesMax got ${String(frameBytesMax)}; want an integer from ${FRAME_LENGTH_MIN} to ${FRAME_BYTES_LIMIT}`);
    }
    this.outgoingFrameBytesMax = frameBytesMax;
  }

  private abandon(requestId: number, pending: Pending): void {
    if (this.pending.get(requestId) !== pending || pending.abandoned) return;
    pending.abandoned = true;
    this.abandonedInFlight++;
    // Every slot held by a request nobody waits for: the daemon is stuck or gone, and this
    // connection could carry nothing more. A new one gets fresh slots.
    if (this.abandonedInFlight >= CLIENT_REQUESTS_IN_FLIGHT_MAX) {
      this.fail(new TraceKvError('ERR_CONNECTION', `${this.abandonedInFlight} requests went unanswered past their deadline`));
    }
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(error instanceof TraceKvError ? error : protocolError(String(error)));
      return;
    }
    for (const frame of frames) {
      if (this.failure !== null) return;
      this.dispatch(frame);
    }
  }

  private dispatch(frame: Frame): void {
    const { requestId, opcode, header } = frame;
    const more = (frame.flags & FLAG_MORE) !== 0;
    if (requestId === 0) {
      // The daemon could not tell which request it answers (§6.1) and closes the connection.
      this.fail(opcode === Opcode.ERROR ? serverErrorOrProtocolError(header) : protocolError(`response opcode 0x${opcode.toString(16)} with request id 0`));
      return;
    }
    const pending = this.pending.get(requestId);
    if (pending === undefined) return this.fail(protocolError(`response to request id ${requestId}, which is not in flight`));
    if (opcode === Opcode.ERROR) {
      if (more) return this.fail(protocolError(`ERROR frame for request id ${requestId} is flagged MORE`));
      let error: TraceKvError;
      try {
        error = serverErrorOf(header);
      } catch (malformed) {
        return this.fail(malformed as TraceKvError);
      }
      this.settle(requestId, pending);
      pending.reject(error);
      return;
    }
    const want = pending.opcode | RESPONSE_BIT;
    if (opcode !== want) return this.fail(protocolError(`response opcode for request id ${requestId} got 0x${opcode.toString(16)}; want 0x${want.toString(16)}`));
    if (more && pending.opcode !== Opcode.GET_TRACES) return this.fail(protocolError(`response 0x${opcode.toString(16)} is flagged MORE; only GET_TRACES streams`));
    if (!pending.abandoned) {
      try {
        pending.reader.frame(header, more);
      } catch (error) {
        return this.fail(error instanceof TraceKvError ? error : protocolError(String(error)));
      }
    }
    if (!more) {
      this.settle(requestId, pending);
      pending.resolve();
    }
  }

  private settle(requestId: number, pending: Pending): void {
    this.pending.delete(requestId);
    if (pending.abandoned) this.abandonedInFlight--;
    pending.onSettled?.();
  }

  private fail(reason: TraceKvError): void {
    if (this.failure !== null) return;
    this.failure = reason;
    this.socket.destroy();
    const entries = [...this.pending.values()];
    this.pending.clear();
    this.abandonedInFlight = 0;
    const details = { cause: reason, ...(reason.retryAfterMs === undefined ? {} : { retryAfterMs: reason.retryAfterMs }) };
    for (const pending of entries) {
      pending.onSettled?.();
      if (!pending.abandoned) pending.reject(new ConnectionLostError(reason.code, `${this.address}: ${reason.message}`, details));
    }
  }
}

function serverErrorOrProtocolError(header: Header): TraceKvError {
  try {
    return serverErrorOf(header);
  } catch (malformed) {
    return malformed as TraceKvError;
  }
}
