/**
 * What the OTLP phases of the protocol fuzz share: where the receivers listen, the harness's
 * expectations and ledger, and the tally of answers by class (which the quick-mode test reads to
 * know every class was reached).
 */
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

