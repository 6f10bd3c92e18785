/**
 * The keys each object BatchEncoder reads may have (rules: ../known-keys.ts), with the mistakes
 * worth a hint: the flat `{ 'service.name': … }` resource many SDKs print, names other formats use
 * (Zipkin's `tags`, OTel Java's status `description`, `parentId`), and fields put one level too
 * high or too low. Each table is checked against its input type, so a field added to types.ts
 * fails to compile until it is added here. Below the tables, the hot-path checks of the span,
 * event, link and status objects.
 */
import { knownKeys, unknownKeyError } from '../known-keys.js';
import type { BatchEncoderOptions } from './encoder.js';
import type { ResourceInput, ScopeInput, SpanEventInput, SpanInput, SpanLinkInput, SpanStatus } from './types.js';

const ATTRIBUTES_ALIASES = { attrs: 'attributes', tags: 'attributes', labels: 'attributes' };
const ENCODER_OPTIONS_HINT = 'goes in the BatchEncoder options, once per batch: new BatchEncoder({ resource, scope })';
const SERVICE_NAME_HINT = `the service name goes in resource.attributes['service.name']`;

export const SPAN_KEYS = knownKeys(
  'span',
  {
    traceId: true,
    spanId: true,
    parentSpanId: true,
    name: true,
    kind: true,
    startTimeUnixNano: true,
    endTimeUnixNano: true,
    attributes: true,
    droppedAttributesCount: true,
    events: true,
    droppedEventsCount: true,
    links: true,
    droppedLinksCount: true,
    status: true,
    traceState: true,
    flags: true,
  } satisfies Record<keyof SpanInput, true>,
  {
    aliases: {
      ...ATTRIBUTES_ALIASES,
      parentId: 'parentSpanId',
      parent: 'parentSpanId',
      id: 'spanId',
      spanKind: 'kind',
      startTime: 'startTimeUnixNano',
      endTime: 'endTimeUnixNano',
      start: 'startTimeUnixNano',
      end: 'endTimeUnixNano',
      duration: 'the duration is endTimeUnixNano − startTimeUnixNano: set span.endTimeUnixNano',
      statusCode: 'the status code goes in span.status.code',
      statusMessage: 'the status message goes in span.status.message',
      logs: 'events',
      annotations: 'events',
      references: 'links',
      traceFlags: 'flags',
      resource: `the resource ${ENCODER_OPTIONS_HINT}`,
      scope: `the scope ${ENCODER_OPTIONS_HINT}`,
      instrumentationScope: `the scope ${ENCODER_OPTIONS_HINT}`,
      instrumentationLibrary: `the scope ${ENCODER_OPTIONS_HINT}`,
    },
  },
);

export const EVENT_KEYS = knownKeys(
  'event',
  { timeUnixNano: true, name: true, attributes: true, droppedAttributesCount: true } satisfies Record<keyof SpanEventInput, true>,
  { aliases: { ...ATTRIBUTES_ALIASES, timestamp: 'timeUnixNano' } },
);

export const LINK_KEYS = knownKeys(
  'link',
  { traceId: true, spanId: true, traceState: true, attributes: true, droppedAttributesCount: true, flags: true } satisfies Record<keyof SpanLinkInput, true>,
  { aliases: { ...ATTRIBUTES_ALIASES, traceFlags: 'flags' } },
);

export const STATUS_KEYS = knownKeys('status', { code: true, message: true } satisfies Record<keyof SpanStatus, true>, {
  aliases: { statusCode: 'code', description: 'message', statusMessage: 'message' },
});

export const RESOURCE_KEYS = knownKeys(
  'resource',
  { attributes: true, droppedAttributesCount: true, schemaUrl: true } satisfies Record<keyof ResourceInput, true>,
  { aliases: { ...ATTRIBUTES_ALIASES, serviceName: SERVICE_NAME_HINT, service: SERVICE_NAME_HINT, name: SERVICE_NAME_HINT } },
);

export const SCOPE_KEYS = knownKeys(
  'scope',
  { name: true, version: true, attributes: true, droppedAttributesCount: true, schemaUrl: true } satisfies Record<keyof ScopeInput, true>,
  { aliases: ATTRIBUTES_ALIASES },
);

export const ENCODER_OPTION_KEYS = knownKeys(
  'BatchEncoder',
  { resource: true, scope: true, batchBytesMax: true, batchSpansMax: true } satisfies Record<keyof BatchEncoderOptions, true>,
  {
    aliases: {
      attributes: 'resource attributes go in resource.attributes',
      serviceName: SERVICE_NAME_HINT,
      service: SERVICE_NAME_HINT,
      instrumentationScope: 'scope',
      instrumentationLibrary: 'scope',
      maxBatchBytes: 'batchBytesMax',
      maxBytes: 'batchBytesMax',
      maxBatchSpans: 'batchSpansMax',
      maxSpans: 'batchSpansMax',
    },
    dottedHint: 'resource attributes go in resource.attributes',
  },
);

// ---------------------------------------------------------------------------------------------
// The checks of the per-span objects, run for every span, event and link. One `for…in` and a
// `switch` over string constants: no lookup and no allocation per key, ~30 ns a span (~1% of
// encode) where a Set lookup per key cost ~80 ns. The cases must be exactly the keys of the table
// named in `default` (the one the message lists); test/batch/unknown-keys.test.ts checks that every
// key of each table passes its switch.
// ---------------------------------------------------------------------------------------------

export function checkSpanKeys(span: object): void {
  for (const key in span) {
    switch (key) {
      case 'traceId':
      case 'spanId':
      case 'parentSpanId':
      case 'name':
      case 'kind':
      case 'startTimeUnixNano':
      case 'endTimeUnixNano':
      case 'attributes':
      case 'droppedAttributesCount':
      case 'events':
      case 'droppedEventsCount':
      case 'links':
      case 'droppedLinksCount':
      case 'status':
      case 'traceState':
      case 'flags':
        break;
      default:
        throw unknownKeyError(SPAN_KEYS, 'span', key);
    }
  }
}

export function checkEventKeys(event: object, what: string): void {
  for (const key in event) {
    switch (key) {
      case 'timeUnixNano':
      case 'name':
      case 'attributes':
      case 'droppedAttributesCount':
        break;
      default:
        throw unknownKeyError(EVENT_KEYS, what, key);
    }
  }
}

export function checkLinkKeys(link: object, what: string): void {
  for (const key in link) {
    switch (key) {
      case 'traceId':
      case 'spanId':
      case 'traceState':
      case 'attributes':
      case 'droppedAttributesCount':
      case 'flags':
        break;
      default:
        throw unknownKeyError(LINK_KEYS, what, key);
    }
  }
}

export function checkStatusKeys(status: object): void {
  for (const key in status) {
    if (key !== 'code' && key !== 'message') throw unknownKeyError(STATUS_KEYS, 'span.status', key);
  }
}
