/**
 * What the OTLP transcoders return: the batches to append, and the partial-success figures the
 * receivers answer with (OTLP ExportTracePartialSuccess).
 */

/** Batch limits the transcoders cut batches by (the store's, so every batch they build is appendable). */
export interface TranscodeLimits {
  /** Largest batch, in bytes. */
  batchBytesMax: number;
  /** Most spans in one batch. */
  batchSpansMax: number;
}

export interface TranscodeResult {
  /** Complete batches (data-format.md §2), one or more per resource and scope group, in request order. */
  batches: Uint8Array[];
  /** Spans in `batches`. */
  spans: number;
  /** Spans left out because they were invalid (OTLP partial_success.rejected_spans). */
  rejectedSpans: number;
  /** Why the first rejected span was left out; '' when none was. */
  errorMessage: string;
}
