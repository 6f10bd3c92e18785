/**
 * The OpenTelemetry shapes this folder reads, imported as types only: at run time src/otel/ loads no
 * OpenTelemetry package, so the SDK the application has installed (a peer dependency) is the one
 * its spans come from, and nothing here pins its version.
 */
import type { Context, Link, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';

export type { Context, ReadableSpan, Span, SpanExporter, SpanProcessor };
export type OtelSpanContext = SpanContext;
export type OtelLink = Link;
export type OtelTimedEvent = TimedEvent;
export type OtelResource = ReadableSpan['resource'];
export type OtelScope = ReadableSpan['instrumentationScope'];
/** `ExportResult` of @opentelemetry/core, taken from the exporter interface so that core need not be a dependency. */
export type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];

/** ExportResultCode of @opentelemetry/core: a plain numeric enum, so its values are written here. */
export const EXPORT_SUCCESS = 0 as ExportResult['code'];
export const EXPORT_FAILED = 1 as ExportResult['code'];
/** W3C trace flags bit "sampled": the batch processors export only sampled spans. */
export const TRACE_FLAG_SAMPLED = 1;
