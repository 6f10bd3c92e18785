/**
 * The frame deadline of one connection (data-format.md §6.1): a frame must be complete within
 * frameDeadlineMs of its first byte. The idle timeout cannot catch a client that trickles a byte
 * now and then (each byte resets it); this can. Time the daemon itself is not reading the socket
 * (backpressure, shutdown) does not count: the frame could not complete then.
 */
export class FrameDeadline {
  private timer: NodeJS.Timeout | null = null;
  /** A frame has begun and is not complete. */
  private pending = false;
  /** Deadline left for the pending frame, as of `clockStartedMs`. */
  private remainingMs = 0;
  private clockStartedMs = 0;
  private paused = false;

  constructor(
    private readonly deadlineMs: number,
    private readonly onExpired: () => void,
  ) {}

  /**
   * After each read: `pending`, a partial frame is buffered; `begunInRead`, it began in this read
   * (the read also completed a frame before it). A new frame gets the whole deadline again.
   */
  afterRead(pending: boolean, begunInRead: boolean): void {
    if (!pending) {
      this.pending = false;
      this.stopClock();
      return;
    }
    if (this.pending && !begunInRead) return;
    this.pending = true;
    this.remainingMs = this.deadlineMs;
    this.stopClock();
    if (!this.paused) this.startClock();
  }

  /** The daemon stopped reading the socket. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    if (this.timer === null) return;
    this.remainingMs -= performance.now() - this.clockStartedMs;
    this.stopClock();
  }

  /** The daemon reads the socket again. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.pending) this.startClock();
  }

  clear(): void {
    this.pending = false;
    this.stopClock();
  }

  private startClock(): void {
    this.clockStartedMs = performance.now();
    this.timer = setTimeout(this.onExpired, Math.max(0, this.remainingMs));
  }

  private stopClock(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
