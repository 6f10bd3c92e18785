// Proves that ERR_BUSY from the daemon's in-flight byte budget is always worth retrying: a request larger than the whole budget is refused only while something else is in flight, and runs once nothing is (it used to be refused forever; found by the overload campaign); and that the retryAfterMs it suggests follows the queue of refused requests and the measured drain rate, within its bounds.
import { afterAll, describe, expect, it } from 'vitest';
import { BUSY_DRAIN_MS_PRIOR, BUSY_RETRY_AFTER_MS_MAX, BUSY_RETRY_AFTER_MS_MIN } from '../../src/constants.js';
import { BatchEncoder, TraceClient } from '../../src/index.js';
import { InFlightBudget } from '../../src/daemon/in-flight-budget.js';
import { DaemonMetrics } from '../../src/daemon/metrics.js';
import { startDaemon } from '../../src/daemon/server.js';
import { Opcode, RESPONSE_BIT, encodeFrame } from '../../src/protocol/frame.js';
import { RawClient } from '../helpers/raw-client.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';

afterAll(removeTempDirs);

const quiet = () => {};
/** Fits one small batch with the daemon's 4 KiB per-request charge, not the padded one. */
const IN_FLIGHT_BYTES_MAX = 6_000;
const PAD_BYTES = 8_192;

function batch(traceNo: number, padBytes: number): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'budget' } } });
  encoder.add({
    traceId: (traceNo + 1).toString(16).padStart(32, '0'),
    spanId: '1'.padStart(16, '0'),
    name: `t${traceNo}`,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: { pad: 'p'.repeat(padBytes) },
  });
  return encoder.finish();
}

describe('in-flight byte budget', () => {
  it('runs a request larger than inFlightBytesMax once nothing else is in flight (it was answered ERR_BUSY forever)', async () => {
    const daemon = await startDaemon({ dir: tempDir('budget'), port: 0, logger: quiet, inFlightBytesMax: IN_FLIGHT_BYTES_MAX });
    const raw = await RawClient.connect(daemon.port);
    const big = batch(2, PAD_BYTES);
    expect(big.length).toBeGreaterThan(IN_FLIGHT_BYTES_MAX);
    // In one write: the small append is still in flight (it waits for fdatasync) when the big one is read.
    raw.socket.write(Buffer.concat([encodeFrame(Opcode.APPEND, 0, 1, {}, batch(1, 0)), encodeFrame(Opcode.APPEND, 0, 2, {}, big)]));
    await raw.until(() => raw.frames.length === 2);
    const answer = (requestId: number) => raw.frames.find((frame) => frame.requestId === requestId)!;
    expect(answer(1).opcode).toBe(Opcode.APPEND | RESPONSE_BIT);
    expect(answer(2)).toMatchObject({ opcode: Opcode.ERROR, header: { code: 'ERR_BUSY', retryAfterMs: expect.any(Number) } });
    expect(daemon.store.stats().appendedSpans).toBe(1);

    const again = await raw.ask(Opcode.APPEND, 3, {}, big);
    expect(again.opcode).toBe(Opcode.APPEND | RESPONSE_BIT);
    expect(daemon.store.stats().appendedSpans).toBe(2);
    raw.socket.destroy();

    // The client's retries see the same: BUSY only ever means "later".
    const client = await TraceClient.connect({ port: daemon.port });
    await expect(client.append(batch(3, PAD_BYTES))).resolves.toMatchObject({ spans: 1 });
    expect((await client.getTrace((4).toString(16).padStart(32, '0')))?.spans.length).toBe(1);
    await client.close();
    await daemon.close();
  });
});

describe('InFlightBudget retryAfterMs', () => {
  /** A budget on a clock the test moves. */
  function budgetAt(bytesMax: number): { budget: InFlightBudget; metrics: DaemonMetrics; advance: (ms: number) => void } {
    let nowMs = 1_000;
    const metrics = new DaemonMetrics();
    return { budget: new InFlightBudget(bytesMax, metrics, () => nowMs), metrics, advance: (ms) => (nowMs += ms) };
  }

  it('grows by each refused request\'s drain time, up to the cap, and falls back once the queue\'s time has passed', () => {
    const { budget, advance } = budgetAt(100_000);
    expect(budget.tryReserve(90_000)).toBe(true);
    expect(budget.tryReserve(20_000)).toBe(false);
    // Unmeasured, the whole budget drains in BUSY_DRAIN_MS_PRIOR: 20 KB is a fifth of it.
    const stepMs = (20_000 / 100_000) * BUSY_DRAIN_MS_PRIOR;
    const first = budget.retryAfterMs(20_000); // 10 KB over: half a step
    const replies = [first, ...Array.from({ length: 9 }, () => budget.retryAfterMs(20_000))];
    expect(first).toBe(Math.max(BUSY_RETRY_AFTER_MS_MIN, Math.ceil(stepMs / 2)));
    replies.slice(1).forEach((ms, i) => expect(ms).toBe(Math.ceil(stepMs / 2 + (i + 1) * stepMs)));
    for (let n = 0; n < 1_000; n++) budget.retryAfterMs(20_000);
    expect(budget.retryAfterMs(20_000)).toBe(BUSY_RETRY_AFTER_MS_MAX);
    advance(BUSY_RETRY_AFTER_MS_MAX);
    expect(budget.retryAfterMs(20_000)).toBe(Math.ceil(stepMs / 2));
  });

  it('estimates what a full budget drains from how long bytes stay in flight, counting busy time only', () => {
    const { budget, metrics, advance } = budgetAt(100_000);
    advance(60_000); // idle time: nothing to measure
    budget.charge(50_000);
    advance(25);
    budget.release(50_000); // half the budget, each byte held 25 ms: a full budget drains 4 KB per ms
    expect(metrics.inFlightDrainBytesPerSec).toBe(4_000_000);
    budget.charge(100_000);
    expect(budget.retryAfterMs(10_000)).toBe(3); // 10 KB over at 4 KB/ms: 2.5 ms
    expect(budget.retryAfterMs(10_000)).toBe(5); // and 10 KB queued ahead
    expect(budget.retryAfterMs(250_000)).toBe(25); // larger than the budget: all 100 KB in flight must drain (the queue is through by then)
    expect(budget.retryAfterMs(10_000)).toBe(88); // behind it: its own 250 KB drain too
  });

  it('waits for everything in flight before a request larger than the whole budget, and admits it when idle', () => {
    const { budget } = budgetAt(10_000);
    expect(budget.tryReserve(30_000)).toBe(true);
    expect(budget.tryReserve(1)).toBe(false);
    expect(budget.retryAfterMs(1)).toBe(Math.ceil(((30_000 - 10_000 + 1) / 10_000) * BUSY_DRAIN_MS_PRIOR));
    budget.release(30_000);
    expect(budget.inFlightBytes).toBe(0);
    expect(budget.tryReserve(30_000)).toBe(true);
  });

  it('refuses to release more than was charged (a double release is a bug)', () => {
    const { budget } = budgetAt(10_000);
    budget.charge(100);
    budget.release(100);
    expect(() => budget.release(1)).toThrow(/^BUG: /);
  });
});
