/** Counters of one OTLP face (otlpHttp or otlpGrpc), reported in the daemon's STATS next to its own. */
export class OtlpCounters {
  /** Export requests received, whatever their outcome. */
  requests = 0;
  /** Request bytes after decompression, of requests admitted. */
  bytes = 0;
  /** Spans stored, and the batches they were stored in. */
  spans = 0;
  batches = 0;
  /** Spans left out as invalid (answered in partial_success). */
  rejectedSpans = 0;
  /** Requests refused for the in-flight budget (429 / RESOURCE_EXHAUSTED). */
  busyReplies = 0;
  /** Failed requests by reply: an HTTP status ("400") or a gRPC code name ("INVALID_ARGUMENT"). */
  readonly errorsByStatus: Record<string, number> = {};

  countError(status: string): void {
    this.errorsByStatus[status] = (this.errorsByStatus[status] ?? 0) + 1;
  }

  snapshot(): Record<string, unknown> {
    return {
      requests: this.requests,
      bytes: this.bytes,
      spans: this.spans,
      batches: this.batches,
      rejectedSpans: this.rejectedSpans,
      busyReplies: this.busyReplies,
      errorsByStatus: { ...this.errorsByStatus },
    };
  }
}
