// Proves the ingest core both OTLP faces share: it answers ok only after every batch's append resolved, appends a request's batches together, stores nothing when refused (busy, undecodable, expired, closing), releases every byte it charged, and reports a store failure after a partial append as retryable, saying how many batches were stored.
import { describe, expect, it } from 'vitest';
import { OtlpCounters, OtlpIngest, TranscodePool, type IngestContext } from '../../src/receiver/index.js';
import { exportRequest } from '../../scripts/testkit/otlp-request.js';
import { plainSpan } from '../batch/samples.js';

/** A budget of `bytesMax` like the daemon's: anything fits when idle. */
class FakeBudget {
  bytes = 0;
  constructor(private readonly bytesMax: number) {}
  tryReserve(bytes: number): boolean {
    if (this.bytes > 0 && this.bytes + bytes > this.bytesMax) return false;
    this.bytes += bytes;
    return true;
  }
  release(bytes: number): void {
    this.bytes -= bytes;
  }
  retryAfterMs(): number {
    return 42;
  }
}

interface Harness {
  ingest: OtlpIngest;
  budget: FakeBudget;
  appended: Uint8Array[];
  /** Each append waits for its own resolver; fail(i) rejects append i instead. */
  settle(i: number, error?: Error): void;
  pending(): number;
  logged: Record<string, unknown>[];
}

function harness(options: { batchSpansMax?: number; bytesMax?: number } = {}): Harness {
  const appended: Uint8Array[] = [];
  const settlers: ((error?: Error) => void)[] = [];
  const logged: Record<string, unknown>[] = [];
  const budget = new FakeBudget(options.bytesMax ?? Number.MAX_SAFE_INTEGER);
  const context: IngestContext = {
    append(batch) {
      appended.push(batch);
      return new Promise((resolve, reject) => settlers.push((error) => (error === undefined ? resolve({}) : reject(error))));
    },
    budget,
    transcoder: new TranscodePool({ batchBytesMax: 1 << 20, batchSpansMax: options.batchSpansMax ?? 1000 }, 0),
    trackAppend: () => {},
    logger: (event) => logged.push(event),
  };
  return {
    ingest: new OtlpIngest(context, 'otlpHttp', new OtlpCounters()),
    budget,
    appended,
    settle: (i, error) => settlers[i]!(error),
    pending: () => settlers.length,
    logged,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const request = (count: number) => exportRequest([{ spans: Array.from({ length: count }, (_, i) => plainSpan(i)) }]);

describe('OtlpIngest', () => {
  it('appends all batches of a request at once and answers only after the last append resolved', async () => {
    const h = harness({ batchSpansMax: 2 });
    let answered = false;
    const outcome = h.ingest.ingest(request(5), 'protobuf').then((result) => ((answered = true), result));
    await tick();
    expect(h.appended).toHaveLength(3);
    h.settle(0);
    h.settle(2);
    await tick();
    expect(answered).toBe(false);
    h.settle(1);
    expect(await outcome).toEqual({ status: 'ok', spans: 5, rejectedSpans: 0, errorMessage: '' });
    expect(h.budget.bytes).toBe(0);
  });

  it('reports a store failure after a partial append as unavailable, naming how many batches were stored', async () => {
    const h = harness({ batchSpansMax: 2 });
    const outcome = h.ingest.ingest(request(4), 'protobuf');
    await tick();
    h.settle(0);
    h.settle(1, new Error('EIO'));
    expect(await outcome).toMatchObject({ status: 'unavailable', message: expect.stringContaining('1 of 2 batches were stored') });
    expect(h.logged).toContainEqual(expect.objectContaining({ event: 'otlp_append_failed', appended: 1, batches: 2 }));
    expect(h.budget.bytes).toBe(0);
  });

  it('stores nothing of a request refused as busy, undecodable or expired, and releases its bytes', async () => {
    const h = harness({ bytesMax: 1 });
    const held = h.ingest.ingest(request(1), 'protobuf');
    await tick();
    expect(await h.ingest.ingest(request(1), 'protobuf')).toEqual({ status: 'busy', retryAfterMs: 42, message: expect.any(String) });
    h.settle(0);
    await held;
    expect(await h.ingest.ingest(Buffer.from([0x0a, 0x09, 1]), 'protobuf')).toMatchObject({ status: 'invalid' });
    expect(await h.ingest.ingest(Buffer.from('{"resourceSpans":'), 'json')).toMatchObject({ status: 'invalid' });
    expect(await h.ingest.ingest(request(2), 'protobuf', () => true)).toMatchObject({ status: 'expired' });
    expect(h.appended).toHaveLength(1);
    expect(h.budget.bytes).toBe(0);
  });

  it('once closing, refuses new requests and waits for those in flight', async () => {
    const h = harness();
    const inFlight = h.ingest.ingest(request(1), 'protobuf');
    await tick();
    let closed = false;
    const closing = h.ingest.close().then(() => (closed = true));
    expect(await h.ingest.ingest(request(1), 'protobuf')).toMatchObject({ status: 'unavailable' });
    await tick();
    expect(closed).toBe(false);
    h.settle(0);
    expect(await inFlight).toMatchObject({ status: 'ok' });
    await closing;
    expect(h.pending()).toBe(1);
  });
});
