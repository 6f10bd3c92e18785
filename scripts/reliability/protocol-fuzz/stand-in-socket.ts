/**
 * The socket of the in-process fuzz: what src/daemon/connection.ts uses of a net.Socket, and no
 * more, so frames can be fed to a real Connection without TCP and its answers read back at once.
 */
import { EventEmitter } from 'node:events';

/** Enough of net.Socket for a Connection: data goes in as 'data' events the fuzz emits, answers come out through `onWrite`. */
export class StandInSocket extends EventEmitter {
  paused = false;
  /** The daemon side called end(): it answered a malformed stream and hung up. */
  ended = false;
  destroyed = false;
  readonly writableLength = 0;
  private resumeWaiters: (() => void)[] = [];

  constructor(private readonly onWrite: (bytes: Buffer) => void) {
    super();
  }

  setNoDelay(): this {
    return this;
  }

  /** The idle timeout is TCP's business; the TCP half of the campaign tests it. */
  setTimeout(): this {
    return this;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    this.paused = false;
    for (const wake of this.resumeWaiters.splice(0)) wake();
    return this;
  }

  /** Hands the bytes over at once; `flushed` is called on the next tick, as a socket calls it after the write. */
  write(bytes: Buffer, flushed?: () => void): boolean {
    if (!this.destroyed) this.onWrite(bytes);
    if (flushed !== undefined) process.nextTick(flushed);
    return true;
  }

  /** The peer reads what was sent, then hangs up too, as a well-behaved client does. */
  end(): this {
    this.ended = true;
    setImmediate(() => this.destroy());
    return this;
  }

  destroy(): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.resume();
    process.nextTick(() => this.emit('close', false));
    return this;
  }

  /** Resolves when the connection reads again (or the socket is gone). */
  readable(): Promise<void> {
    if (!this.paused || this.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.resumeWaiters.push(resolve));
  }
}
