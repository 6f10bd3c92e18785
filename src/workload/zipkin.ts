/**
 * Maps the real Zipkin v2 fixtures (src/workload/fixtures/zipkin, see its README and NOTICE) to
 * SpanInput, so tests, benchmarks and `tracekv load` can run on recorded production traces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Attributes, SpanEventInput, SpanInput } from '../batch/types.js';
import { SpanKind } from '../batch/types.js';

/**
 * The fixtures are package data, found from the package root: this module runs both from
 * src/workload/ (tests, tsx) and from dist/workload/ (the built CLI), and both sit two levels
 * below the root. package.json `files` ships the folder, so an installed package has it too.
 */
export const ZIPKIN_FIXTURES_DIR = new URL('../../src/workload/fixtures/zipkin/', import.meta.url);

const NANOS_PER_MICRO = 1000n;

interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  kind?: string;
  name?: string;
  timestamp: number;
  duration?: number;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations?: { timestamp: number; value: string }[];
  tags?: Record<string, string>;
  shared?: boolean;
}

const KIND_BY_ZIPKIN: Record<string, number> = {
  CLIENT: SpanKind.CLIENT,
  SERVER: SpanKind.SERVER,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

/** One SpanInput per Zipkin span, with the service it belongs to (its resource's service.name). */
export function zipkinToSpans(json: unknown): { service: string; span: SpanInput }[] {
  if (!Array.isArray(json)) throw new Error('zipkin fixture: want a JSON array of spans');
  return (json as ZipkinSpan[]).map((zipkin) => {
    const start = BigInt(zipkin.timestamp) * NANOS_PER_MICRO;
    const span: SpanInput = {
      traceId: zipkin.traceId.padStart(32, '0'),
      spanId: zipkin.id,
      name: zipkin.name ?? '',
      kind: KIND_BY_ZIPKIN[zipkin.kind ?? ''] ?? SpanKind.INTERNAL,
      startTimeUnixNano: start,
      endTimeUnixNano: start + BigInt(zipkin.duration ?? 0) * NANOS_PER_MICRO,
      attributes: zipkinAttributes(zipkin),
    };
    if (zipkin.parentId !== undefined) span.parentSpanId = zipkin.parentId;
    if (zipkin.annotations !== undefined && zipkin.annotations.length > 0) {
      span.events = zipkin.annotations.map(
        (annotation): SpanEventInput => ({
          timeUnixNano: BigInt(annotation.timestamp) * NANOS_PER_MICRO,
          name: annotation.value,
        }),
      );
    }
    return { service: zipkin.localEndpoint?.serviceName ?? 'unknown', span };
  });
}

function zipkinAttributes(zipkin: ZipkinSpan): Attributes {
  const attributes: Attributes = { ...zipkin.tags };
  const local = zipkin.localEndpoint;
  if (local?.ipv4 !== undefined) attributes['net.host.ip'] = local.ipv4;
  if (local?.port !== undefined) attributes['net.host.port'] = local.port;
  const remote = zipkin.remoteEndpoint;
  if (remote?.serviceName !== undefined) attributes['net.peer.name'] = remote.serviceName;
  if (remote?.ipv4 !== undefined) attributes['net.peer.ip'] = remote.ipv4;
  if (remote?.ipv6 !== undefined) attributes['net.peer.ip'] = remote.ipv6;
  if (remote?.port !== undefined) attributes['net.peer.port'] = remote.port;
  if (zipkin.shared === true) attributes['zipkin.shared'] = true;
  return attributes;
}

/** Every fixture file (sorted by name), its spans grouped by service in first-seen order. */
export function loadZipkinFixtures(): { file: string; spansByService: Map<string, SpanInput[]> }[] {
  const dir = fileURLToPath(ZIPKIN_FIXTURES_DIR);
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  return files.map((file) => {
    const json: unknown = JSON.parse(readFileSync(new URL(file, ZIPKIN_FIXTURES_DIR), 'utf8'));
    const spansByService = new Map<string, SpanInput[]>();
    for (const { service, span } of zipkinToSpans(json)) {
      let spans = spansByService.get(service);
      if (spans === undefined) {
        spans = [];
        spansByService.set(service, spans);
      }
      spans.push(span);
    }
    return { file, spansByService };
  });
}
