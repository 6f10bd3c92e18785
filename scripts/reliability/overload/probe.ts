/**
 * The overload campaign's probe: a raw connection that sends APPENDs and never retries, so it
 * sees each ERR_BUSY reply as the wire carries it (data-format.md §6.3) and knows exactly which of
 * its batches the daemon refused, to check later that none of them was stored.
 */
import { Opcode, RESPONSE_BIT, type Frame } from '../../../src/protocol/frame.js';
import { RawClient } from '../../testkit/raw-client.js';
import type { FailureLog } from '../campaign.js';
import { Stream, type BatchStamper } from './batches.js';

/** Outstanding batch numbers a failure line names. */
const UNANSWERED_NAMED_MAX = 10;

export class Probe {
  /** Request id → batch number. */
  private readonly unanswered = new Map<number, number>();
  readonly acknowledged: number[] = [];
  readonly refused: number[] = [];
  private readonly badReplies: string[] = [];
  private sent = 0;

  private constructor(
    private readonly client: RawClient,
    private readonly stamper: BatchStamper,
  ) {}

  static async connect(port: number, stamper: BatchStamper, frameBytesMax: number): Promise<Probe> {
    let probe: Probe | null = null;
    // Answers are counted as they come, not kept: the probe lives as long as the overload.
    const client = await RawClient.connect(port, { frameBytesMax, keepFrames: false, onFrame: (frame) => probe!.onFrame(frame) });
    probe = new Probe(client, stamper);
    return probe;
  }

  counts(): Record<string, number> {
    return { probeAppends: this.sent, probeAcknowledged: this.acknowledged.length, probeBusyReplies: this.refused.length };
  }

  sendOne(): void {
    if (this.client.closed) return;
    const batchNo = this.sent++;
    // Request ids start at 1: 0 is what the daemon answers when it could not read one.
    this.unanswered.set(batchNo + 1, batchNo);
    this.client.send(Opcode.APPEND, batchNo + 1, {}, this.stamper.stamp(Stream.Probe, batchNo));
  }

  /** Waits for the answers still outstanding, then records every reply that broke §6. */
  async settle(timeoutMs: number, failures: FailureLog, context: string): Promise<void> {
    await this.client.waitFor(() => this.unanswered.size === 0 || this.client.closed, timeoutMs);
    if (this.unanswered.size > 0) {
      const named = [...this.unanswered.values()].slice(0, UNANSWERED_NAMED_MAX).join(', ');
      failures.add(`${context}: ${this.unanswered.size} probe APPENDs were never answered (batches ${named}…)`);
    }
    for (const line of this.client.problems) failures.add(`${context}: probe: ${line}`);
    for (const line of this.badReplies) failures.add(`${context}: ${line}`);
  }

  close(): void {
    this.client.destroy();
  }

  private onFrame(frame: Frame): void {
    const batchNo = this.unanswered.get(frame.requestId);
    if (batchNo === undefined) {
      this.badReplies.push(`probe: a reply to request ${frame.requestId}, which is not outstanding: ${describeHeader(frame.header)}`);
      return;
    }
    this.unanswered.delete(frame.requestId);
    const { code, retryAfterMs } = frame.header;
    if (frame.opcode === (Opcode.APPEND | RESPONSE_BIT)) {
      this.acknowledged.push(batchNo);
    } else if (frame.opcode === Opcode.ERROR && code === 'ERR_BUSY') {
      this.refused.push(batchNo);
      if (typeof retryAfterMs !== 'number' || !Number.isInteger(retryAfterMs) || retryAfterMs < 1) {
        this.badReplies.push(`probe batch ${batchNo}: ERR_BUSY with retryAfterMs ${String(retryAfterMs)}; want a positive integer`);
      }
    } else {
      this.badReplies.push(`probe batch ${batchNo}: opcode 0x${frame.opcode.toString(16)} ${describeHeader(frame.header)}; want 0x82 or ERR_BUSY`);
    }
  }
}

/** A header as a failure line quotes it; bigints (int64 fields) as decimal. */
function describeHeader(header: Record<string, unknown>): string {
  return JSON.stringify(header, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}
