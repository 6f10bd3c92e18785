/**
 * An SDK ReadableSpan as the SpanInput, ResourceInput and ScopeInput that an OTLP round trip of it
 * means, written from @opentelemetry/otlp-transformer's rules (kind + 1, flags with 0x100/0x200,
 * integral numbers as intValue) and data-format.md §7.1's for the empty values null and undefined
 * stand for, with BigInt arithmetic: independent of src/otel/, so that the two can be compared.
 */
import type { HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { AttributeValue, Attributes, ResourceInput, ScopeInput, SpanInput } from '../../src/batch/types.js';

export function hrTimeNanos(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

function flagsOf(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);
}

/** null and undefined are OTLP's empty AnyValue: data-format.md §7.1 leaves them out of arrays and maps. */
function isEmpty(value: unknown): boolean {
  return value === undefined || value === null;
}

export function otlpValue(value: unknown): AttributeValue {
  if (typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 63) return BigInt(value);
  if (Array.isArray(value)) return value.filter((item) => !isEmpty(item)).map(otlpValue);
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) return otlpAttributes(value)!;
  return value as AttributeValue;
}

export function otlpAttributes(attributes: object | undefined): Attributes | undefined {
  if (attributes === undefined) return undefined;
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) if (!isEmpty(value)) out[key] = otlpValue(value);
  return out;
}

/** Top-level empty values, which data-format.md §7.1 counts in their owner's dropped_attributes_count. */
export function emptyAttributes(attributes: object | undefined): number {
  return attributes === undefined ? 0 : Object.values(attributes).filter(isEmpty).length;
}

export function spanInputOf(span: ReadableSpan): SpanInput {
  const context = span.spanContext();
  const start = hrTimeNanos(span.startTime);
  const input: SpanInput = {
    traceId: context.traceId,
    spanId: context.spanId,
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: start,
    endTimeUnixNano: hrTimeNanos(span.endTime),
    attributes: otlpAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount + emptyAttributes(span.attributes),
    events: span.events.map((event) => ({
      timeUnixNano: hrTimeNanos(event.time),
      name: event.name,
      attributes: otlpAttributes(event.attributes),
      droppedAttributesCount: (event.droppedAttributesCount ?? 0) + emptyAttributes(event.attributes),
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => {
      const state = link.context.traceState?.serialize();
      return {
        traceId: link.context.traceId,
        spanId: link.context.spanId,
        ...(state ? { traceState: state } : {}),
        attributes: otlpAttributes(link.attributes),
        droppedAttributesCount: (link.droppedAttributesCount ?? 0) + emptyAttributes(link.attributes),
        flags: flagsOf(link.context.traceFlags, link.context.isRemote),
      };
    }),
    droppedLinksCount: span.droppedLinksCount,
    flags: flagsOf(context.traceFlags, span.parentSpanContext?.isRemote),
  };
  if (span.parentSpanContext?.spanId) input.parentSpanId = span.parentSpanContext.spanId;
  if (span.status.code !== 0 || span.status.message) input.status = { code: span.status.code as 0 | 1 | 2, message: span.status.message ?? '' };
  const state = context.traceState?.serialize();
  if (state) input.traceState = state;
  return input;
}

export function resourceInputOf(span: ReadableSpan): ResourceInput {
  const input: ResourceInput = { attributes: otlpAttributes(span.resource.attributes) };
  const empty = emptyAttributes(span.resource.attributes);
  if (empty > 0) input.droppedAttributesCount = empty;
  if (span.resource.schemaUrl) input.schemaUrl = span.resource.schemaUrl;
  return input;
}

export function scopeInputOf(span: ReadableSpan): ScopeInput {
  const scope = span.instrumentationScope;
  return { name: scope.name, ...(scope.version ? { version: scope.version } : {}), ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}) };
}
