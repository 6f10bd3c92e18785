// A QueryStore's OTLP reads made from its decoded ones, for fake stores: each trace written by
// writeTracesData, the bytes the store's readers produce for the same spans (reader tests hold the
// two equal).
import type { OtlpTrace, Span, Trace } from '../../src/api/index.js';
import { ProtobufBuilder } from '../../src/codec/index.js';
import { writeTracesData } from '../../src/otlp/index.js';
import type { QueryStore } from '../../src/query/index.js';

export function otlpTraceOf(trace: Trace<Span> | null): OtlpTrace | null {
  if (trace === null) return null;
  const builder = new ProtobufBuilder();
  writeTracesData(builder, trace.spans);
  const out: OtlpTrace = { traceId: trace.traceId, tracesData: builder.finish() };
  if (trace.partial === true) {
    out.partial = true;
    out.partialReason = trace.partialReason ?? 'traceBytesMax';
  }
  return out;
}

export function withOtlpReads(store: Pick<QueryStore, 'getTrace' | 'getTracesStream'>): QueryStore {
  return {
    getTrace: (traceId, options) => store.getTrace(traceId, options),
    getTracesStream: (traceIds, options) => store.getTracesStream(traceIds, options),
    getTraceOtlp: async (traceId, options) => otlpTraceOf(await store.getTrace(traceId, options)),
    async *getTracesOtlpStream(traceIds, options) {
      for await (const item of store.getTracesStream(traceIds, options)) yield { index: item.index, trace: otlpTraceOf(item.trace) };
    },
  };
}
