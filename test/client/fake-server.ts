/**
 * A scriptable stand-in for the daemon: node:net plus the real frame codec, on 127.0.0.1 port 0.
 * It answers HELLO itself (token and version checks as in data-format.md §6.3) and hands every
 * other request to the test's handler, which answers when, how and in whatever order it likes.
 */
import net from 'node:net';
import tls from 'node:tls';
import { FRAME_BYTES_MAX_DEFAULT } from '../../src/constants.js';
import { FLAG_MORE, FrameDecoder, Opcode, RESPONSE_BIT, encodeFrame } from '../../src/protocol/frame.js';

export interface FakeRequest {
  opcode: number;
  requestId: number;
  header: Record<string, unknown>;
  payload: Uint8Array;
  connection: FakeConnection;
  /** performance.now() when the frame arrived. */
  atMs: number;
}

export type FakeHandler = (request: FakeRequest) => void;

export interface FakeServerOptions {
  token?: string;
  /** frameBytesMax in the HELLO reply; undefined leaves the field out. */
  frameBytesMax?: number | undefined;
  /** Overrides the HELLO reply version. */
  helloVersion?: number;
  /** Never answer HELLO (a daemon that hangs during the handshake). */
  silentHello?: boolean;
  /** Listen on this port instead of a free one (to restart a daemon where it was). */
  port?: number;
  /** Serve TLS with this certificate and key. */
  tls?: { cert: string; key: string };
}

export class FakeConnection {
  constructor(readonly socket: net.Socket) {}

  reply(request: FakeRequest, header: Record<string, unknown>, flags = 0): void {
    this.send(request.opcode | RESPONSE_BIT, flags, request.requestId, header);
  }

  /** One frame of a streamed GET_TRACES reply. */
  replyPart(request: FakeRequest, header: Record<string, unknown>, more: boolean): void {
    this.reply(request, header, more ? FLAG_MORE : 0);
  }

  error(request: FakeRequest | null, code: string, message: string, retryAfterMs?: number): void {
    const header: Record<string, unknown> = { code, message };
    if (retryAfterMs !== undefined) header.retryAfterMs = retryAfterMs;
    this.send(Opcode.ERROR, 0, request?.requestId ?? 0, header);
  }

  send(opcode: number, flags: number, requestId: number, header: Record<string, unknown>): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(opcode, flags, requestId, header));
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class FakeServer {
  /** Every request but HELLO, in arrival order, over all connections. */
  readonly requests: FakeRequest[] = [];
  readonly hellos: Record<string, unknown>[] = [];
  readonly connections: FakeConnection[] = [];
  private readonly server: net.Server;

  private constructor(
    public handler: FakeHandler,
    private readonly options: FakeServerOptions,
  ) {
    const accept = (socket: net.Socket) => this.accept(socket);
    this.server = options.tls === undefined ? net.createServer(accept) : tls.createServer(options.tls, accept);
  }

  static async start(handler: FakeHandler, options: FakeServerOptions = {}): Promise<FakeServer> {
    const fake = new FakeServer(handler, options);
    await new Promise<void>((resolve) => fake.server.listen(options.port ?? 0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Requests of one opcode. */
  of(opcode: number): FakeRequest[] {
    return this.requests.filter((request) => request.opcode === opcode);
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    const connection = new FakeConnection(socket);
    this.connections.push(connection);
    const decoder = new FrameDecoder(FRAME_BYTES_MAX_DEFAULT * 2);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const request: FakeRequest = { ...frame, connection, atMs: performance.now() };
        if (frame.opcode === Opcode.HELLO) this.hello(request);
        else {
          this.requests.push(request);
          this.handler(request);
        }
      }
    });
  }

  private hello(request: FakeRequest): void {
    this.hellos.push(request.header);
    if (this.options.silentHello === true) return;
    const { connection } = request;
    if (this.options.token !== undefined && request.header.token !== this.options.token) {
      connection.error(request, 'ERR_AUTH', 'bad token');
      connection.socket.end();
      return;
    }
    if (request.header.version !== 1) {
      connection.error(request, 'ERR_UNSUPPORTED_VERSION', `version ${String(request.header.version)}`);
      return;
    }
    const reply: Record<string, unknown> = { version: this.options.helloVersion ?? 1, server: 'tracekv' };
    const frameBytesMax = 'frameBytesMax' in this.options ? this.options.frameBytesMax : FRAME_BYTES_MAX_DEFAULT;
    if (frameBytesMax !== undefined) reply.frameBytesMax = frameBytesMax;
    connection.reply(request, reply);
  }
}

/** Resolves once `condition` holds, polling every few ms; fails the test after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const startedMs = performance.now();
  while (!condition()) {
    if (performance.now() - startedMs > timeoutMs) throw new Error('until: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export const TRACE_ID = '0123456789abcdef0123456789abcdef';
export const SPAN_ID = '0123456789abcdef';
