/**
 * A raw protocol connection (data-format.md §6) for tests and campaigns: writes frames, or any
 * bytes at all, and decodes every frame the daemon sends back, counting the final answers (frames
 * without MORE) and noting the first ERROR and when the daemon hangs up. Nothing retries and
 * nothing is hidden: what the wire carries is what the caller sees.
 */
import net from 'node:net';
import { FLAG_MORE, FrameDecoder, Opcode, encodeFrame, type Frame } from '../../src/protocol/frame.js';

/** Largest answer accepted by default: a daemon answer is capped by its frameBytesMax (16 MiB by default) anyway. */
const ANSWER_FRAME_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** Problems kept per connection: the first says what went wrong; the rest repeat it. */
const PROBLEMS_KEPT_MAX = 4;
/** How often `until` looks again when no event woke it. */
const UNTIL_POLL_MS = 50;
/** How long `until` waits by default before it fails. */
const UNTIL_TIMEOUT_MS_DEFAULT = 5_000;

export interface RawClientOptions {
  /** Largest answer frame decoded; a larger one is a problem and the connection is destroyed. */
  frameBytesMax?: number;
  /** Keep every answer in `frames` (the default). A long-lived connection that only counts turns it off. */
  keepFrames?: boolean;
  /** Called with every answer as it arrives. */
  onFrame?: (frame: Frame, client: RawClient) => void;
}

export class RawClient {
  /** Every answer, in order (unless keepFrames is off). */
  readonly frames: Frame[] = [];
  /** Answers that end a request (ERROR, or a response without MORE). */
  finals = 0;
  /** The first ERROR the daemon sent on this connection, if any. */
  firstError: Frame | null = null;
  closed = false;
  /** What was wrong with the answers (undecodable bytes, or what an onFrame check reported). */
  readonly problems: string[] = [];
  private readonly decoder: FrameDecoder;
  private waiters: (() => void)[] = [];

  private constructor(
    readonly socket: net.Socket,
    private readonly options: RawClientOptions,
  ) {
    this.decoder = new FrameDecoder(options.frameBytesMax ?? ANSWER_FRAME_BYTES_MAX_DEFAULT);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, options: RawClientOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new RawClient(socket, options));
      });
      socket.once('error', reject);
    });
  }

  /** Records a problem with this connection's answers, up to PROBLEMS_KEPT_MAX. */
  problem(line: string): void {
    if (this.problems.length < PROBLEMS_KEPT_MAX) this.problems.push(line);
  }

  /** Writes bytes as they are: a frame, part of one, or garbage. */
  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  send(opcode: number, requestId: number, header: Record<string, unknown> = {}, payload?: Uint8Array): void {
    this.write(encodeFrame(opcode, 0, requestId, header, payload));
  }

  /** Sends a request and resolves with the first answer to its id (needs keepFrames). */
  async ask(opcode: number, requestId: number, header: Record<string, unknown> = {}, payload?: Uint8Array): Promise<Frame> {
    this.send(opcode, requestId, header, payload);
    await this.until(() => this.frames.some((f) => f.requestId === requestId));
    return this.frames.find((f) => f.requestId === requestId)!;
  }

  /** Resolves true once `done()` holds, false if it still does not after `ms`. */
  async waitFor(done: () => boolean, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, UNTIL_POLL_MS);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Waits until `done()` holds, or fails after `ms`. */
  async until(done: () => boolean, ms = UNTIL_TIMEOUT_MS_DEFAULT): Promise<void> {
    if (!(await this.waitFor(done, ms))) throw new Error(`timed out after ${ms} ms waiting on the daemon`);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Hangs up with a TCP RST instead of a FIN: the peer's next read fails with ECONNRESET. */
  reset(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.problem(`answer bytes are not a frame: ${error instanceof Error ? error.message : String(error)}`);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (this.options.keepFrames !== false) this.frames.push(frame);
      if (frame.opcode === Opcode.ERROR) this.firstError ??= frame;
      if ((frame.flags & FLAG_MORE) === 0) this.finals++;
      this.options.onFrame?.(frame, this);
    }
    this.wake();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
