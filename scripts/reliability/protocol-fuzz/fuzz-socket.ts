/**
 * One raw TCP connection of the protocol fuzz: writes whatever bytes it is given, checks every
 * answer of the daemon against the oracle as it arrives, and counts final answers (frames without
 * MORE), so a caller can wait for "every complete frame answered, or the daemon hung up".
 */
import net from 'node:net';
import { FLAG_MORE, FrameDecoder, Opcode, type Frame } from '../../../src/protocol/frame.js';
import { describeError, responseProblem } from './oracle.js';

/** Largest answer accepted: a daemon answer is capped by its frameBytesMax (16 MiB by default) anyway. */
const ANSWER_FRAME_BYTES_MAX = 64 * 1024 * 1024;
/** Problems kept per connection: the first says what went wrong; the rest repeat it. */
const PROBLEMS_KEPT_MAX = 4;
/** How often `until` looks again when no event woke it. */
const UNTIL_POLL_MS = 50;

export class FuzzSocket {
  /** Answers that end a request (ERROR, or a response without MORE). */
  finals = 0;
  /** The first ERROR the daemon sent on this connection, if any. */
  firstError: Frame | null = null;
  closed = false;
  readonly problems: string[] = [];
  private readonly decoder = new FrameDecoder(ANSWER_FRAME_BYTES_MAX);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<FuzzSocket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.off('error', reject);
        resolve(new FuzzSocket(socket));
      });
      socket.once('error', reject);
    });
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.problem(`answer bytes are not a frame: ${describeError(error)}`);
      this.socket.destroy();
      return;
    }
    for (const frame of frames) {
      const problem = responseProblem(frame);
      if (problem !== null) this.problem(`request ${frame.requestId}: ${problem}`);
      if (frame.opcode === Opcode.ERROR) this.firstError ??= frame;
      if ((frame.flags & FLAG_MORE) === 0) this.finals++;
    }
    this.wake();
  }

  private problem(line: string): void {
    if (this.problems.length < PROBLEMS_KEPT_MAX) this.problems.push(line);
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Resolves true once `done()` holds, false if it still does not after `ms`. */
  async until(done: () => boolean, ms: number): Promise<boolean> {
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

  destroy(): void {
    this.socket.destroy();
  }

  /** Hangs up with a TCP RST instead of a FIN: the peer's next read fails with ECONNRESET. */
  reset(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }
}
