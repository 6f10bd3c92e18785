import { OtlpCounters } from '../receiver/index.js';

/** Daemon counters, reported by STATS next to the store's own. */
export class DaemonMetrics {
  connections = 0;
  connectionsTotal = 0;
  connectionsRefused = 0;
  inFlightRequests = 0;
  /** Request bytes being served plus response bytes not yet flushed (src/daemon/in-flight-budget.ts). */
  inFlightBytes = 0;
  /** How fast a full budget drains, as estimated (Little's law): what retryAfterMs is derived from. */
  inFlightDrainBytesPerSec = 0;
  bytesIn = 0;
  bytesOut = 0;
  appends = 0;
  busyReplies = 0;
  readonly errorsByCode: Record<string, number> = {};
  /** The OTLP receivers' requests, bytes, spans, batches and rejected spans, one set per face. */
  readonly otlpHttp = new OtlpCounters();
  readonly otlpGrpc = new OtlpCounters();

  countError(code: string): void {
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
  }

  snapshot(): Record<string, unknown> {
    return {
      connections: this.connections,
      connectionsTotal: this.connectionsTotal,
      connectionsRefused: this.connectionsRefused,
      inFlightRequests: this.inFlightRequests,
      inFlightBytes: this.inFlightBytes,
      inFlightDrainBytesPerSec: Math.round(this.inFlightDrainBytesPerSec),
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      appends: this.appends,
      busyReplies: this.busyReplies,
      errorsByCode: { ...this.errorsByCode },
      otlpHttp: this.otlpHttp.snapshot(),
      otlpGrpc: this.otlpGrpc.snapshot(),
    };
  }
}
