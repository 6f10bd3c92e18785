/** The OpenTelemetry JS SDK side of tracekv (`tracekv/otel`): a span processor and a span exporter that serialize ended spans straight into batches and ship them to the daemon. */
export { TraceKvSpanProcessor } from './span-processor.js';
export { TraceKvSpanExporter } from './span-exporter.js';
export type { OtelExportStats } from './stats.js';
export {
  OTEL_BATCH_BYTES_MAX_DEFAULT,
  OTEL_BATCH_SPANS_MAX_DEFAULT,
  OTEL_BATCHES_IN_FLIGHT_MAX_DEFAULT,
  OTEL_LINGER_MS_DEFAULT,
  OTEL_QUEUE_SPANS_MAX_DEFAULT,
  type TraceKvExporterOptions,
  type TraceKvProcessorOptions,
} from './exporter-options.js';
export { SpanRecordWriter } from './span-writer.js';
