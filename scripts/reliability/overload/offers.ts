/**
 * The overload campaign's offering side, shaped like a collector's exporter:
 * - closedLoop: ADMITTED_APPENDS appends outstanding at all times, to measure capacity;
 * - openLoop: fresh batches handed to the clients at a paced rate, never waiting for an answer;
 * - every batch is followed until it is acknowledged. The client retries ERR_BUSY itself
 *   (OFFER_CLIENT_RETRIES_MAX times, never sooner than retryAfterMs); a batch it gives up on waits
 *   the daemon's retryAfterMs, joins the re-offer queue as a number (it is stamped again when
 *   sent, so a waiting batch costs no memory) and is sent again by one of a bounded number of
 *   re-offer calls, oldest first.
 * The bounds keep the load generator's own memory and CPU flat however long the overload lasts:
 * a backlog that grows by the excess every second must not turn into as many concurrent retries.
 */
import { TraceClient, TraceKvError, type TraceClientOptions } from '../../../src/index.js';
import { BUSY_RETRY_AFTER_MS_MIN } from '../../../src/constants.js';
import type { FailureLog } from '../campaign.js';
import { Stream, type BatchStamper } from './batches.js';

/**
 * Appends the daemon's in-flight byte budget admits at once (the campaign sizes the budget so).
 * Few, so that capacity is set by the budget and the disk's fdatasync latency rather than by this
 * process's CPU: twice that capacity is then something the load generator can surely offer on a
 * shared 2-core machine.
 */
export const ADMITTED_APPENDS = 4;
/** Each burst is twice what the budget admits, so it cannot fit even into an idle daemon. */
const BURST_BATCHES = 2 * ADMITTED_APPENDS;
/** One batch larger than the whole in-flight budget rides along every this many bursts. */
const OVERSIZED_EVERY_BURSTS = 16;
/**
 * The client's own retries per call. One: every refused batch exercises the client's BUSY retry
 * (backoff honouring retryAfterMs); each more would add an attempt for every fresh batch, and at
 * twice the capacity at least half of them are refused.
 */
const OFFER_CLIENT_RETRIES_MAX = 1;
/** Re-offer calls in flight per client: far more than the budget admits, so the daemon stays busy through the drain. */
const REOFFER_CALLS_PER_CLIENT = 32;
/** How often the drain reports how many batches still wait. */
const DRAIN_PROGRESS_MS = 5_000;
/** The re-offer queue drops its consumed head once it is this long. */
const QUEUE_COMPACT_AT = 4_096;

/** How the campaign's clients connect. */
export function offerClientOptions(port: number): TraceClientOptions {
  return { port, retriesMax: OFFER_CLIENT_RETRIES_MAX };
}

/** The streams the retrying clients carry. */
export type OfferStream = typeof Stream.Offered | typeof Stream.Oversized;

interface BatchRef {
  stream: OfferStream;
  batchNo: number;
}

/** A call's outcome: settled (acknowledged, or failed for good), or refused with the daemon's retryAfterMs. */
type Outcome = 'settled' | { retryAfterMs: number };

export class Offers {
  /** Batch numbers acknowledged, per stream, each once. */
  readonly acknowledged: Record<OfferStream, Set<number>> = { [Stream.Offered]: new Set(), [Stream.Oversized]: new Set() };
  private readonly next: Record<OfferStream, number> = { [Stream.Offered]: 0, [Stream.Oversized]: 0 };
  private readonly queue: BatchRef[] = [];
  private queueHead = 0;
  private reofferCalls = 0;
  private readonly reofferCallsMax: number;
  /** Batches handed out by openLoop and not yet settled. */
  private unsettled = 0;
  private onSettled: (() => void) | null = null;
  private offeredSpans = 0;
  private reoffers = 0;
  private nextClient = 0;
  private stopped = false;

  constructor(
    private readonly stamper: BatchStamper,
    private readonly clients: TraceClient[],
    private readonly failures: FailureLog,
    private readonly context: string,
  ) {
    this.reofferCallsMax = REOFFER_CALLS_PER_CLIENT * clients.length;
  }

  counts(): Record<string, number> {
    let spansAcknowledged = 0;
    for (const stream of [Stream.Offered, Stream.Oversized] as const) {
      for (const batchNo of this.acknowledged[stream]) spansAcknowledged += this.stamper.spanCountOf(stream, batchNo);
    }
    return {
      batchesOffered: this.next[Stream.Offered] + this.next[Stream.Oversized],
      batchesAcknowledged: this.acknowledged[Stream.Offered].size + this.acknowledged[Stream.Oversized].size,
      oversizedOffered: this.next[Stream.Oversized],
      oversizedAcknowledged: this.acknowledged[Stream.Oversized].size,
      spansOffered: this.offeredSpans,
      spansAcknowledged,
      reoffers: this.reoffers,
    };
  }

  /** ADMITTED_APPENDS appends outstanding for `ms`; returns the acknowledged spans per second. */
  async closedLoop(ms: number): Promise<number> {
    const startMs = performance.now();
    let spans = 0;
    await Promise.all(
      Array.from({ length: ADMITTED_APPENDS }, async () => {
        while (performance.now() - startMs < ms && this.failures.count === 0) {
          const batch = this.newBatch(Stream.Offered);
          const client = this.pickClient();
          for (let outcome = await this.send(batch, client); outcome !== 'settled'; outcome = await this.send(batch, client)) {
            this.reoffers++;
            await new Promise((resolve) => setTimeout(resolve, outcome.retryAfterMs));
          }
          if (this.acknowledged[Stream.Offered].has(batch.batchNo)) spans += this.stamper.spanCountOf(Stream.Offered, batch.batchNo);
        }
      }),
    );
    return spans / ((performance.now() - startMs) / 1000);
  }

  /**
   * Offers `spansPerSec` for `ms` without waiting for answers: burst k of BURST_BATCHES is due k
   * intervals after the start, and a late wake-up sends every burst that came due. Returns the
   * spans offered (oversized batches included) and the seconds it took.
   */
  async openLoop(spansPerSec: number, ms: number, onBurst: () => void): Promise<{ spans: number; seconds: number }> {
    const intervalMs = (BURST_BATCHES * this.stamper.spansPerBatchMean * 1000) / spansPerSec;
    const bursts = Math.max(1, Math.floor(ms / intervalMs));
    const spansBefore = this.offeredSpans;
    const startMs = performance.now();
    for (let burst = 0; burst < bursts; burst++) {
      const waitMs = startMs + burst * intervalMs - performance.now();
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      for (let i = 0; i < BURST_BATCHES; i++) this.offerFresh(this.newBatch(Stream.Offered));
      if (burst % OVERSIZED_EVERY_BURSTS === OVERSIZED_EVERY_BURSTS - 1) this.offerFresh(this.newBatch(Stream.Oversized));
      // After the clients' writes (they go out from microtasks), so it meets a full budget.
      setImmediate(onBurst);
    }
    const seconds = Math.max(ms, performance.now() - startMs) / 1000;
    return { spans: this.offeredSpans - spansBefore, seconds };
  }

  /** Waits for every offered batch to settle, or for the timeout (then stops re-offering). */
  async drain(timeoutMs: number, log: (line: string) => void): Promise<void> {
    const progress = setInterval(() => log(`overload: ${this.unsettled} batches not yet acknowledged, ${this.reoffers} re-offers so far`), DRAIN_PROGRESS_MS);
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      this.onSettled = resolve;
      if (this.unsettled === 0) resolve();
    });
    clearTimeout(timer);
    clearInterval(progress);
    this.stopped = true;
    if (this.unsettled > 0) this.failures.add(`${this.context}: ${this.unsettled} batches still unacknowledged ${timeoutMs} ms after the last offer`);
  }

  private newBatch(stream: OfferStream): BatchRef {
    const batch = { stream, batchNo: this.next[stream]++ };
    this.offeredSpans += this.stamper.spanCountOf(stream, batch.batchNo);
    return batch;
  }

  private pickClient(): TraceClient {
    return this.clients[this.nextClient++ % this.clients.length]!;
  }

  private offerFresh(batch: BatchRef): void {
    this.unsettled++;
    void this.send(batch, this.pickClient()).then((outcome) => this.afterCall(batch, outcome));
  }

  private afterCall(batch: BatchRef, outcome: Outcome): void {
    if (outcome === 'settled') {
      if (--this.unsettled === 0) this.onSettled?.();
      return;
    }
    this.reoffers++;
    if (this.stopped) return;
    setTimeout(() => {
      this.queue.push(batch);
      this.pump();
    }, outcome.retryAfterMs);
  }

  /** Starts re-offer calls, oldest batch first, up to the bound. */
  private pump(): void {
    while (!this.stopped && this.reofferCalls < this.reofferCallsMax && this.queueHead < this.queue.length) {
      const batch = this.queue[this.queueHead++]!;
      this.reofferCalls++;
      void this.send(batch, this.pickClient()).then((outcome) => {
        this.reofferCalls--;
        this.afterCall(batch, outcome);
        this.pump();
      });
    }
    if (this.queueHead >= QUEUE_COMPACT_AT) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }

  /** One call: the batch is stamped for it, and dropped by this process once the call ends. */
  private async send(batch: BatchRef, client: TraceClient): Promise<Outcome> {
    const { stream, batchNo } = batch;
    const spans = this.stamper.spanCountOf(stream, batchNo);
    const name = `${stream === Stream.Oversized ? 'oversized batch' : 'batch'} ${batchNo}`;
    try {
      const result = await client.append(this.stamper.stamp(stream, batchNo));
      if (result.spans !== spans) this.failures.add(`${this.context}: ${name} acknowledged with ${result.spans} spans; want ${spans}`);
      if (this.acknowledged[stream].has(batchNo)) this.failures.add(`${this.context}: ${name} acknowledged twice`);
      this.acknowledged[stream].add(batchNo);
      return 'settled';
    } catch (error) {
      if (error instanceof TraceKvError && error.code === 'ERR_BUSY') return { retryAfterMs: error.retryAfterMs ?? BUSY_RETRY_AFTER_MS_MIN };
      this.failures.add(`${this.context}: ${name} failed: ${error instanceof TraceKvError ? `${error.code} ${error.message}` : String(error)}`);
      return 'settled';
    }
  }
}
