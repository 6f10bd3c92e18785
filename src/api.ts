/**
 * The interface the embedded store and the TCP client share, so code runs embedded or remote
 * unchanged. `stats()` is awaited: it is synchronous on the store and a round trip on the client.
 */
import type { RawSpan, Span, SpanIdInput, TraceIdInput } from './batch/types.js';
import type { TraceQuery } from './reader/read-plan.js';
import type { ReadOptions, Trace } from './reader/trace-reader.js';
import type { AppendResult } from './store/append-pipeline.js';

export interface TraceStoreApi {
  append(batch: Uint8Array): Promise<AppendResult>;
  getSpan(traceId: TraceIdInput, spanId: SpanIdInput, options?: Pick<ReadOptions, 'timeoutMs'>): Promise<Span | null>;
  getTrace(traceId: TraceIdInput, options: ReadOptions & { raw: true }): Promise<Trace<RawSpan> | null>;
  getTrace(traceId: TraceIdInput, options?: ReadOptions & { raw?: false }): Promise<Trace<Span> | null>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options: ReadOptions & { raw: true }): Promise<(Trace<RawSpan> | null)[]>;
  getTraces(traceIds: (TraceIdInput | TraceQuery)[], options?: ReadOptions & { raw?: false }): Promise<(Trace<Span> | null)[]>;
  stats(): unknown;
  close(): Promise<void>;
}
