/**
 * BatchShipper: sealed batches to the daemon over our TCP protocol (TraceClient.append, which
 * resolves only once the batch is fsynced, and retries ERR_BUSY with backoff), at most
 * `batchesInFlightMax` at once and the rest queued in order. It never throws or rejects: each
 * send resolves true (stored) or false (not stored, counted, the error kept in `lastError`), since
 * the SDK has nowhere to take an exception.
 *
 * The client is either the caller's (never closed here) or opened on first use from the options;
 * a connect that fails fails the batches waiting on it, and the next batch tries again.
 */
import type { TraceClientOptions } from '../client/client-options.js';
import { TraceClient } from '../client/index.js';

interface Pending {
  batch: Uint8Array;
  spans: number;
  done: (stored: boolean) => void;
}

export interface ShipperCounters {
  /** Spans the daemon acknowledged as durable. */
  exportedSpans: number;
  exportedBatches: number;
  /** Spans of batches the daemon did not store (connect failure, timeout, refusal). */
  failedSpans: number;
  failedBatches: number;
}

export class BatchShipper {
  readonly counters: ShipperCounters = { exportedSpans: 0, exportedBatches: 0, failedSpans: 0, failedBatches: 0 };
  /** Why the last failed batch failed. */
  lastError: Error | null = null;
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private queuedSpanCount = 0;
  private client: Promise<TraceClient> | null;
  private readonly ownsClient: boolean;
  private readonly connectOptions: TraceClientOptions | null;
  private idleWaiters: (() => void)[] = [];

  constructor(
    source: { client: TraceClient } | { connect: TraceClientOptions },
    private readonly batchesInFlightMax: number,
  ) {
    if ('client' in source) {
      this.client = Promise.resolve(source.client);
      this.ownsClient = false;
      this.connectOptions = null;
    } else {
      this.client = null;
      this.ownsClient = true;
      this.connectOptions = source.connect;
    }
  }

  /** Spans waiting for a slot (not yet sent). */
  get queuedSpans(): number {
    return this.queuedSpanCount;
  }

  get batchesInFlight(): number {
    return this.inFlight;
  }

  /** Queues `batch` (of `spans` spans); resolves true once it is durable, false if it was not stored. */
  send(batch: Uint8Array, spans: number): Promise<boolean> {
    return new Promise((done) => {
      this.queue.push({ batch, spans, done });
      this.queuedSpanCount += spans;
      this.pump();
    });
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Waits for every batch, then closes the client if this shipper opened it. */
  async close(): Promise<void> {
    await this.idle();
    if (!this.ownsClient || this.client === null) return;
    const client = this.client;
    this.client = null;
    try {
      await (await client).close();
    } catch {
      // A client that never connected has nothing to close.
    }
  }

  private pump(): void {
    while (this.inFlight < this.batchesInFlightMax && this.queue.length > 0) {
      const pending = this.queue.shift()!;
      this.queuedSpanCount -= pending.spans;
      this.inFlight++;
      void this.ship(pending);
    }
    if (this.inFlight === 0 && this.queue.length === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  private async ship(pending: Pending): Promise<void> {
    let stored = false;
    try {
      const client = await this.clientOf();
      await client.append(pending.batch);
      stored = true;
    } catch (error) {
      this.lastError = error instanceof Error ? error : new Error(String(error));
    }
    if (stored) {
      this.counters.exportedSpans += pending.spans;
      this.counters.exportedBatches++;
    } else {
      this.counters.failedSpans += pending.spans;
      this.counters.failedBatches++;
    }
    this.inFlight--;
    pending.done(stored);
    this.pump();
  }

  private clientOf(): Promise<TraceClient> {
    if (this.client === null) {
      const connecting = TraceClient.connect(this.connectOptions!);
      this.client = connecting;
      // A failed connect is forgotten, so the next batch connects again.
      connecting.catch(() => {
        if (this.client === connecting) this.client = null;
      });
    }
    return this.client;
  }
}
