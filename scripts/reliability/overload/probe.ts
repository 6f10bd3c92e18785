/**
 * The overload campaign's probe: a raw connection that sends APPENDs and never retries, so it
 * sees each ERR_BUSY reply as the wire carries it (data-format.md §6.3) and knows exactly which of
 * its batches the daemon refused, to check later that none of them was stored.
 */
import net from 'node:net';
import { FrameDecoder, Opcode, RESPONSE_BIT, encodeFrame, type Frame } from '../../../src/protocol/frame.js';
import type { FailureLog } from '../campaign.js';
import { Stream, type BatchStamper } from './batches.js';

/** How often `settle` looks again while answers are outstanding. */
const SETTLE_POLL_MS = 100;
/** Outstanding batch numbers a failure line names. */
const UNANSWERED_NAMED_MAX = 10;

export class Probe {
  private readonly decoder: FrameDecoder;
  /** Request id → batch number. */
  private readonly unanswered = new Map<number, number>();
  readonly acknowledged: number[] = [];
  readonly refused: number[] = [];
  private readonly badReplies: string[] = [];
  private sent = 0;
  private wake: (() => void) | null = null;

  private constructor(
    private readonly socket: net.Socket,
    private readonly stamper: BatchStamper,
    frameBytesMax: number,
  ) {
    this.decoder = new FrameDecoder(frameBytesMax);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of this.decoder.push(chunk)) this.onFrame(frame);
      } catch (error) {
        this.badReplies.push(`probe: undecodable reply: ${String(error)}`);
        socket.destroy();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => this.wake?.());
  }

  static connect(port: number, stamper: BatchStamper, frameBytesMax: number): Promise<Probe> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new Probe(socket, stamper, frameBytesMax)));
      socket.once('error', reject);
    });
  }

  counts(): Record<string, number> {
    return { probeAppends: this.sent, probeAcknowledged: this.acknowledged.length, probeBusyReplies: this.refused.length };
  }

  sendOne(): void {
    if (this.socket.destroyed) return;
    const batchNo = this.sent++;
    // Request ids start at 1: 0 is what the daemon answers when it could not read one.
    this.unanswered.set(batchNo + 1, batchNo);
    this.socket.write(encodeFrame(Opcode.APPEND, 0, batchNo + 1, {}, this.stamper.stamp(Stream.Probe, batchNo)));
  }

  /** Waits for the answers still outstanding, then records every reply that broke §6. */
  async settle(timeoutMs: number, failures: FailureLog, context: string): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.unanswered.size > 0 && !this.socket.destroyed && performance.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, SETTLE_POLL_MS);
      });
    }
    if (this.unanswered.size > 0) {
      const named = [...this.unanswered.values()].slice(0, UNANSWERED_NAMED_MAX).join(', ');
      failures.add(`${context}: ${this.unanswered.size} probe APPENDs were never answered (batches ${named}…)`);
    }
    for (const line of this.badReplies) failures.add(`${context}: ${line}`);
  }

  close(): void {
    this.socket.destroy();
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
    if (this.unanswered.size === 0) this.wake?.();
  }
}

/** A header as a failure line quotes it; bigints (int64 fields) as decimal. */
function describeHeader(header: Record<string, unknown>): string {
  return JSON.stringify(header, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}
