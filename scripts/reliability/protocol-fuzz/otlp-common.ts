/**
 * What the OTLP phases of the protocol fuzz share: where the receivers listen, the harness's
 * expectations and ledger, and the tally of answers by class (which the quick-mode test reads to
 * know every class was reached).
 */
import net from 'node:net';
import type { DaemonChild } from '../../testkit/daemon-child.js';
import type { FailureLog } from '../campaign.js';
import type { Expectations } from './otlp-expect.js';
import type { OtlpLedger } from './otlp-ledger.js';

export interface OtlpContext {
  daemon: DaemonChild;
  seed: number;
  httpPort: number;
  grpcPort: number;
  expectations: Expectations;
  ledger: OtlpLedger;
  tally: OtlpTally;
  failures: FailureLog;
  log: (line: string) => void;
}

/** Answers by class and face, e.g. `http200`, `httpPartial`, `http413`, `httpReset`, `grpcOK`, `grpcINVALID_ARGUMENT`. */
export class OtlpTally {
  readonly counts: Record<string, number> = {};

  add(key: string, n = 1): void {
    this.counts[key] = (this.counts[key] ?? 0) + n;
  }

  get(key: string): number {
    return this.counts[key] ?? 0;
  }
}

/**
 * A port free right now, for a receiver of the daemon child (which reports only its own port):
 * the OS picks it, and the child binds it moments later. Another process may take it in between;
 * the caller retries the start then.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
