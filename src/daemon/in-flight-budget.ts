/**
 * The daemon's in-flight byte budget (data-format.md §6.3): what it admits, and how long a request
 * it refuses is told to wait.
 *
 * What it counts: the payload plus REQUEST_OVERHEAD_BYTES of every request being served, and every
 * response frame from the moment it is handed to the socket until the socket has flushed it, so a
 * reader that leaves a large answer unread holds budget like a writer with a large batch. A request
 * is admitted if it fits, or if nothing at all is in flight (a request larger than the whole budget
 * runs alone: refused whenever anything else was in flight, it would be refused forever). A
 * response is charged whatever the budget holds: its work is done, and refusing it saves nothing.
 *
 * retryAfterMs: a refused request joins the end of a virtual queue of the requests refused before
 * it whose retry has not come due yet. Its retry is due once the budget, draining at its estimated
 * rate, has room for it after the bytes in flight over the budget and everything queued ahead. So
 * the replies to a burst of refusals spread their retries over the time the budget needs to take
 * them, instead of sending every refused client back at the same instant to be refused again.
 *
 * The drain rate is what a full budget releases per ms. Measuring releases alone would give the
 * rate of what was admitted, which under partial load is less, and retries spaced at it would keep
 * it so. By Little's law a byte stays in flight W = (mean bytes in flight) / (bytes released per
 * ms), which a busy store keeps about constant (a group commit's latency); a full budget then
 * drains bytesMax / W per ms.
 */
import {
  BUSY_DRAIN_MS_PRIOR,
  BUSY_DRAIN_SAMPLE_MS,
  BUSY_DRAIN_SAMPLE_WEIGHT,
  BUSY_RETRY_AFTER_MS_MAX,
  BUSY_RETRY_AFTER_MS_MIN,
} from '../constants.js';
import { assert } from '../errors.js';
import type { DaemonMetrics } from './metrics.js';

export class InFlightBudget {
  private bytes = 0;
  /** Bytes a full budget releases per ms, a moving average of samples. */
  private drainBytesPerMs: number;
  private measured = false;
  private changedAtMs: number;
  /** The current sample: busy time (anything in flight), its integral of bytes in flight, bytes released. */
  private sampleBusyMs = 0;
  private sampleByteMs = 0;
  private sampleReleasedBytes = 0;
  /** When the budget is expected to have taken every refused request told to retry so far. */
  private queueEndMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly bytesMax: number,
    private readonly metrics: DaemonMetrics,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.drainBytesPerMs = bytesMax / BUSY_DRAIN_MS_PRIOR;
    this.changedAtMs = nowMs();
    metrics.inFlightDrainBytesPerSec = this.drainBytesPerMs * 1000;
  }

  get inFlightBytes(): number {
    return this.bytes;
  }

  /**
   * Admits a request of `bytes`, charging them; false means answer ERR_BUSY with retryAfterMs(bytes).
   * Anything fits an idle budget: ERR_BUSY promises a retry can succeed, and the request's frame is
   * already in memory, so running it costs no more than the frame limit allows.
   */
  tryReserve(bytes: number): boolean {
    if (this.bytes > 0 && this.bytes + bytes > this.bytesMax) return false;
    this.charge(bytes);
    return true;
  }

  /** Charges `bytes` whatever the budget holds (a response). The caller releases each charge exactly once. */
  charge(bytes: number): void {
    assert(Number.isInteger(bytes) && bytes >= 0, `charge of ${bytes} bytes`);
    if (bytes === 0) return;
    this.setBytes(this.bytes + bytes);
  }

  release(bytes: number): void {
    assert(Number.isInteger(bytes) && bytes >= 0 && bytes <= this.bytes, `release of ${bytes} bytes with ${this.bytes} in flight`);
    if (bytes === 0) return;
    this.setBytes(this.bytes - bytes);
    this.sampleReleasedBytes += bytes;
    if (this.sampleBusyMs >= BUSY_DRAIN_SAMPLE_MS) this.takeSample();
  }

  /** When a request of `bytes` just refused should come back; it joins the queue of refused requests. */
  retryAfterMs(bytes: number): number {
    const nowMs = this.nowMs();
    // What must drain before it fits; a request larger than the whole budget waits for everything.
    const overBytes = bytes > this.bytesMax ? this.bytes : Math.max(0, this.bytes + bytes - this.bytesMax);
    const dueMs = Math.max(nowMs + BUSY_RETRY_AFTER_MS_MIN, nowMs + overBytes / this.drainBytesPerMs, this.queueEndMs);
    // Past the cap every reply says the cap; the queue stops there rather than running ahead of time.
    this.queueEndMs = Math.min(dueMs + bytes / this.drainBytesPerMs, nowMs + BUSY_RETRY_AFTER_MS_MAX);
    return Math.min(BUSY_RETRY_AFTER_MS_MAX, Math.ceil(dueMs - nowMs));
  }

  private setBytes(bytes: number): void {
    const nowMs = this.nowMs();
    if (this.bytes > 0) {
      this.sampleBusyMs += nowMs - this.changedAtMs;
      this.sampleByteMs += this.bytes * (nowMs - this.changedAtMs);
    }
    this.changedAtMs = nowMs;
    this.bytes = bytes;
    this.metrics.inFlightBytes = bytes;
  }

  private takeSample(): void {
    // Busy for BUSY_DRAIN_SAMPLE_MS means bytes were held: zero only if the clock stood still.
    if (this.sampleByteMs <= 0) return;
    const residenceMs = this.sampleByteMs / this.sampleReleasedBytes;
    // Over the budget (responses are charged whatever it holds) it drains what it released.
    const heldBytes = Math.max(this.bytesMax, this.sampleByteMs / this.sampleBusyMs);
    const rate = heldBytes / residenceMs;
    // The prior is a guess: the first measurement replaces it.
    this.drainBytesPerMs = this.measured ? this.drainBytesPerMs + BUSY_DRAIN_SAMPLE_WEIGHT * (rate - this.drainBytesPerMs) : rate;
    this.measured = true;
    this.sampleBusyMs = 0;
    this.sampleByteMs = 0;
    this.sampleReleasedBytes = 0;
    this.metrics.inFlightDrainBytesPerSec = this.drainBytesPerMs * 1000;
  }
}
