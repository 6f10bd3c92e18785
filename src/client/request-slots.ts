/**
 * A counting semaphore for requests in flight, first come first served. A released slot is handed
 * straight to the oldest waiter, so a call arriving later can never take it in between.
 *
 * A slot is held from just before a request is sent until its response (or the end of its
 * connection) frees it; a request whose caller timed out keeps its slot until then, so the number
 * of requests the daemon is working on for this client never passes `max`.
 */
import { assert } from '../errors.js';
import type { CallDeadline } from './call-deadline.js';

interface Waiter {
  grant(): void;
}

export class RequestSlots {
  private used = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly max: number) {}

  get inUse(): number {
    return this.used;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves once the caller holds a slot; rejects (holding none) at the deadline or on close. */
  acquire(deadline: CallDeadline): Promise<void> {
    deadline.check();
    if (this.used < this.max && this.waiters.length === 0) {
      this.used++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const leave = (error: unknown) => {
        clearTimeout(timer);
        unlisten();
        const at = this.waiters.indexOf(waiter);
        assert(at >= 0, 'a waiter left the slot queue twice');
        this.waiters.splice(at, 1);
        reject(error);
      };
      const unlisten = deadline.closed.listen((reason) => leave(reason));
      const timer = setTimeout(() => leave(deadline.timeoutError(' (waiting for one of the requests in flight to finish)')), Math.max(0, deadline.remainingMs()));
      const waiter: Waiter = {
        // Called from release(), which already removed this waiter and counts the slot as used.
        grant: () => {
          clearTimeout(timer);
          unlisten();
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  release(): void {
    assert(this.used > 0, 'released a request slot that was not held');
    const next = this.waiters.shift();
    if (next === undefined) this.used--;
    else next.grant();
  }
}
