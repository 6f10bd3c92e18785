/**
 * What both OTLP faces do with a request body once it is read: admit it against the daemon's
 * in-flight budget, transcode it into batches (src/otlp/), append every batch, and say how it
 * went. The faces only translate the outcome into HTTP statuses or gRPC codes.
 *
 * Durability: `ok` is returned only after every batch's append resolved, and an append resolves
 * only after fsync; so no face acknowledges a span that is not on disk. The batches are appended
 * together, not one after another, so that they share a group commit.
 *
 * A store error after some batches of the request were appended is `unavailable` (503 /
 * UNAVAILABLE, both retryable by OTLP clients): the request is neither whole nor undone, and a
 * retry stores the already-appended batches a second time. Duplicate spans are the lesser harm:
 * a read returns both copies, but nothing acknowledged is lost. It is logged (otlp_append_failed).
 */
import { BUSY_RETRY_AFTER_MS_MAX, REQUEST_OVERHEAD_BYTES } from '../constants.js';
import { TraceKvError } from '../errors.js';
import type { TranscodeResult } from '../otlp/index.js';
import type { TranscodePool } from './transcode-pool.js';
import type { OtlpCounters } from './otlp-metrics.js';

/** The daemon's in-flight byte budget, as the receivers use it (src/daemon/in-flight-budget.ts implements it). */
export interface IngestBudget {
  tryReserve(bytes: number): boolean;
  release(bytes: number): void;
  retryAfterMs(bytes: number): number;
}

export type IngestLogger = (event: Record<string, unknown>) => void;

/** What the daemon lends the receivers; receiver/ imports nothing of daemon/ (the daemon starts the receivers). */
export interface IngestContext {
  /** store.append: resolves once the batch is synced. */
  append(batch: Uint8Array): Promise<unknown>;
  budget: IngestBudget;
  /** Where request bodies are transcoded (worker threads, or inline). */
  transcoder: TranscodePool;
  /** Registers an append the daemon's graceful close must wait for. */
  trackAppend(done: Promise<unknown>): void;
  logger: IngestLogger;
}

export type OtlpFormat = 'protobuf' | 'json';

export type IngestOutcome =
  | { status: 'ok'; spans: number; rejectedSpans: number; errorMessage: string }
  /** Over the in-flight budget: nothing was done; retry after retryAfterMs. */
  | { status: 'busy'; retryAfterMs: number; message: string }
  /** The body is not an OTLP request: nothing was stored. */
  | { status: 'invalid'; message: string }
  /** Closing, or the store failed: retryable (see the module comment for what a retry stores). */
  | { status: 'unavailable'; retryAfterMs: number; message: string }
  /** The caller's deadline passed before anything was appended: nothing was stored. */
  | { status: 'expired'; message: string }
  /** A bug: logged; nothing was appended. */
  | { status: 'internal'; message: string };

export type OtlpFace = 'otlpHttp' | 'otlpGrpc';

export class OtlpIngest {
  private closing = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly context: IngestContext,
    private readonly face: OtlpFace,
    private readonly counters: OtlpCounters,
  ) {}

  /**
   * Stores the request in `body`. `expired()` is asked once, after transcoding and before the
   * first append: true means the caller gave up (gRPC deadline, cancelled call) and nothing is stored.
   */
  ingest(body: Uint8Array, format: OtlpFormat, expired: () => boolean = () => false): Promise<IngestOutcome> {
    const work = this.run(body, format, expired);
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
    return work;
  }

  /** Refuses new requests (unavailable) and waits for those in flight to be answered. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(body: Uint8Array, format: OtlpFormat, expired: () => boolean): Promise<IngestOutcome> {
    if (this.closing) return { status: 'unavailable', retryAfterMs: BUSY_RETRY_AFTER_MS_MAX, message: 'the daemon is shutting down' };
    const { budget } = this.context;
    const cost = body.length + REQUEST_OVERHEAD_BYTES;
    if (!budget.tryReserve(cost)) {
      this.counters.busyReplies++;
      return { status: 'busy', retryAfterMs: budget.retryAfterMs(cost), message: 'the daemon is over its in-flight byte budget; retry later' };
    }
    try {
      this.counters.bytes += body.length;
      const transcoded = await this.transcode(body, format);
      if ('status' in transcoded) return transcoded;
      if (expired()) return { status: 'expired', message: 'the deadline passed before the request was stored; nothing of it was stored' };
      return await this.appendAll(transcoded);
    } finally {
      budget.release(cost);
    }
  }

  private async transcode(body: Uint8Array, format: OtlpFormat): Promise<TranscodeResult | IngestOutcome> {
    try {
      return await this.context.transcoder.transcode(body, format);
    } catch (error) {
      if (error instanceof TraceKvError && error.code === 'ERR_INVALID_ARGUMENT') return { status: 'invalid', message: error.message };
      this.context.logger({ event: 'otlp_internal_error', face: this.face, error: String(error) });
      return { status: 'internal', message: `internal error transcoding the request: ${String(error)}` };
    }
  }

  private async appendAll(result: TranscodeResult): Promise<IngestOutcome> {
    const appends = result.batches.map((batch) => this.context.append(batch));
    const settled = Promise.allSettled(appends);
    this.context.trackAppend(settled);
    const outcomes = await settled;
    const failed = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed.length > 0) {
      const appended = outcomes.length - failed.length;
      this.context.logger({ event: 'otlp_append_failed', face: this.face, batches: outcomes.length, appended, error: String(failed[0]!.reason) });
      const reason = failed[0]!.reason instanceof Error ? failed[0]!.reason.message : String(failed[0]!.reason);
      const message = `the store failed (${reason}); ${appended} of ${outcomes.length} batches were stored, and a retry stores them again`;
      return { status: 'unavailable', retryAfterMs: BUSY_RETRY_AFTER_MS_MAX, message };
    }
    this.counters.spans += result.spans;
    this.counters.batches += result.batches.length;
    this.counters.rejectedSpans += result.rejectedSpans;
    return { status: 'ok', spans: result.spans, rejectedSpans: result.rejectedSpans, errorMessage: result.errorMessage };
  }
}
