/**
 * The deadline of one client call, and the waits that respect it. One deadline covers the whole
 * call (waiting for a slot, connecting, every attempt and every backoff), because the caller's
 * budget is for the answer, not for one try. Every wait also ends when the client closes.
 */
import { TraceKvError } from '../errors.js';

/**
 * Fires once, when the client closes. A Set rather than an AbortSignal: a busy client has hundreds
 * of waits listening at once, past which an EventTarget warns of a leak.
 */
export class CloseSignal {
  private error: TraceKvError | null = null;
  private readonly listeners = new Set<(reason: TraceKvError) => void>();

  get reason(): TraceKvError | null {
    return this.error;
  }

  /** Calls `listener` on close; returns the function that unsubscribes it. */
  listen(listener: (reason: TraceKvError) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(reason: TraceKvError): void {
    if (this.error !== null) return;
    this.error = reason;
    const listeners = [...this.listeners];
    this.listeners.clear();
    for (const listener of listeners) listener(reason);
  }
}

export class CallDeadline {
  private readonly atMs: number;

  constructor(
    /** Names the call in error messages, e.g. "getTrace". */
    readonly what: string,
    readonly timeoutMs: number,
    /** Its reason is the error every pending wait rejects with once the client closes. */
    readonly closed: CloseSignal,
  ) {
    this.atMs = performance.now() + timeoutMs;
  }

  remainingMs(): number {
    return this.atMs - performance.now();
  }

  timeoutError(detail = '', cause?: unknown): TraceKvError {
    return new TraceKvError('ERR_TIMEOUT', `${this.what}: no answer within timeoutMs ${this.timeoutMs}${detail}`, cause === undefined ? {} : { cause });
  }

  /** Throws the close error or ERR_TIMEOUT if the call may not go on. */
  check(): void {
    if (this.closed.reason !== null) throw this.closed.reason;
    if (this.remainingMs() <= 0) throw this.timeoutError();
  }

  /**
   * Settles with `promise`, or rejects with ERR_TIMEOUT at the deadline (after calling `onExpire`,
   * so the caller can forget what it was waiting for) or with the close error.
   */
  wait<T>(promise: Promise<T>, onExpire?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed.reason !== null) return reject(this.closed.reason);
      const finish = () => {
        clearTimeout(timer);
        unlisten();
      };
      const unlisten = this.closed.listen((reason) => {
        clearTimeout(timer);
        reject(reason);
      });
      const timer = setTimeout(() => {
        unlisten();
        onExpire?.();
        reject(this.timeoutError());
      }, Math.max(0, this.remainingMs()));
      promise.then(
        (value) => {
          finish();
          resolve(value);
        },
        (error: unknown) => {
          finish();
          reject(error);
        },
      );
    });
  }

  /**
   * Sleeps `delayMs` before a retry. When the deadline would pass first there is no point in
   * waiting: rejects at once with ERR_TIMEOUT naming the error that made the retry necessary.
   */
  async backoff(delayMs: number, lastError: TraceKvError): Promise<void> {
    if (delayMs >= this.remainingMs()) {
      throw this.timeoutError(` (the next retry was due after the deadline; last error ${lastError.code}: ${lastError.message})`, lastError);
    }
    let timer: NodeJS.Timeout | undefined;
    const sleep = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, delayMs);
    });
    try {
      await this.wait(sleep);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Exponential backoff with full jitter (uniform in [0, min(cap, base × 2^attempt)]), which spreads
 * a crowd of retrying clients best; but never sooner than the daemon asked for with retryAfterMs.
 */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, retryAfterMs = 0, random: () => number = Math.random): number {
  const ceilingMs = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(retryAfterMs, random() * ceilingMs);
}
