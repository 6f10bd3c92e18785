/** A raw protocol connection for tests: sends frames, collects every frame the daemon sends, notes when it closes. */
import net from 'node:net';
import { FrameDecoder, encodeFrame, type Frame } from '../../src/protocol/frame.js';

/** A raw connection that collects every frame the daemon sends, and notes when it closes. */
export class RawClient {
  readonly frames: Frame[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.frames.push(...this.decoder.push(chunk));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Waits until `done()` holds, or fails after `ms`. */
  async until(done: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error('timed out waiting on the daemon');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  send(opcode: number, requestId: number, header: Record<string, unknown> = {}, payload?: Uint8Array): void {
    this.socket.write(encodeFrame(opcode, 0, requestId, header, payload));
  }

  async ask(opcode: number, requestId: number, header: Record<string, unknown> = {}, payload?: Uint8Array): Promise<Frame> {
    this.send(opcode, requestId, header, payload);
    await this.until(() => this.frames.some((f) => f.requestId === requestId));
    return this.frames.find((f) => f.requestId === requestId)!;
  }
}

