/** Test-only: a span in the shape reads return (every default filled in), with the fields a test cares about. */
import type { Span } from '../../src/api/index.js';

export function decodedSpan(fields: Partial<Span> & Pick<Span, 'traceId' | 'spanId'>): Span {
  return {
    name: 'op',
    kind: 0,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: {},
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0 },
    resource: { attributes: {}, droppedAttributesCount: 0 },
    scope: { attributes: {}, droppedAttributesCount: 0 },
    ...fields,
  };
}
