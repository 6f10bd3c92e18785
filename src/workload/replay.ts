/**
 * Endless sources of traces for the load generator (`tracekv load`), with the service (resource)
 * of every span:
 * - tracegen: tracegen.ts's shape (1 server span + 9 client children, 10 services), starting now;
 * - zipkin replay: the recorded Zipkin fixtures, cycled in file order, each replay with fresh ids
 *   (parent links remapped consistently within the trace), moved to start now, and its timing and
 *   measured values varied a little, so replays are not byte-identical copies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AttributeValue, Attributes, SpanIdInput, SpanInput } from '../batch/types.js';
import type { Rng } from './rng.js';
import { hex, tracegenTrace } from './tracegen.js';
import { zipkinToSpans } from './zipkin.js';

/** One generated trace, its spans grouped by the service that emitted them. */
export interface WorkloadTrace {
  traceId: string;
  spansByService: Map<string, SpanInput[]>;
  spanCount: number;
}

export interface Workload {
  /** The next trace, its first span starting at `nowUnixNano`. */
  nextTrace(nowUnixNano: bigint): WorkloadTrace;
}

/** One recorded trace to replay: its spans in file order, with their services. */
export interface ReplayTemplate {
  file: string;
  spans: { service: string; span: SpanInput }[];
  /** The earliest start time: replays are shifted so that it becomes "now". */
  startTimeUnixNano: bigint;
}

/** Replays stretch or shrink a trace's timing by up to this fraction either way. */
const TIME_VARIATION = 0.1;
/** Numeric values that are measurements (counts, budgets, sizes) vary by up to this fraction. */
const VALUE_VARIATION = 0.1;
/** Keys whose numbers are identifiers or codes, not measurements: varying them would invent
 * ports, status codes and partitions that the recorded system never had. */
const NOT_A_MEASUREMENT = /port|code|status|error|partition|id$|_id|version/i;
const DECIMAL = /^-?\d+(\.\d+)?$/;

export function tracegenServiceName(service: number): string {
  return `tracegen-${service}`;
}

export function tracegenWorkload(rng: Rng): Workload {
  let counter = 0;
  return {
    nextTrace(nowUnixNano) {
      const { service, spans } = tracegenTrace(rng, counter++, nowUnixNano);
      const name = tracegenServiceName(service);
      return { traceId: spans[0]!.traceId as string, spansByService: new Map([[name, spans]]), spanCount: spans.length };
    },
  };
}

/** Every `*.json` file of `dir` (Zipkin v2 span arrays), sorted by name; one template per traceId. */
export function loadReplayTemplates(dir: string): ReplayTemplate[] {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort();
  const templates: ReplayTemplate[] = [];
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
    } catch (error) {
      throw new Error(`zipkin fixture ${path.join(dir, file)}: ${(error as Error).message}`);
    }
    const byTrace = new Map<string, { service: string; span: SpanInput }[]>();
    for (const entry of zipkinToSpans(json)) {
      const traceId = idText(entry.span.traceId);
      let spans = byTrace.get(traceId);
      if (spans === undefined) byTrace.set(traceId, (spans = []));
      spans.push(entry);
    }
    for (const spans of byTrace.values()) {
      const startTimeUnixNano = spans.reduce((min, { span }) => (span.startTimeUnixNano < min ? span.startTimeUnixNano : min), spans[0]!.span.startTimeUnixNano);
      templates.push({ file, spans, startTimeUnixNano });
    }
  }
  if (templates.length === 0) throw new Error(`zipkin fixtures: no spans in any *.json file of ${dir}`);
  return templates;
}

/** Cycles over the templates in order, forever. */
export function zipkinReplayWorkload(templates: readonly ReplayTemplate[], rng: Rng): Workload {
  let next = 0;
  return {
    nextTrace(nowUnixNano) {
      const template = templates[next]!;
      next = (next + 1) % templates.length;
      return replayTrace(template, rng, nowUnixNano);
    },
  };
}

/**
 * One replay of `template`: a new random traceId; every spanId (and every parentSpanId, including
 * parents outside the trace) mapped to a new random id, the same old id always to the same new
 * one, so the tree and Zipkin's shared client/server ids survive; times shifted so the trace
 * starts at `nowUnixNano`, with offsets and durations scaled by one factor per trace (so children
 * stay inside their parents); measured numbers varied. Links keep their ids.
 */
export function replayTrace(template: ReplayTemplate, rng: Rng, nowUnixNano: bigint): WorkloadTrace {
  const traceId = hex(nonZeroId(rng, 16));
  const newIds = new Map<string, string>();
  const mapId = (id: SpanIdInput): string => {
    const old = idText(id);
    let mapped = newIds.get(old);
    if (mapped === undefined) newIds.set(old, (mapped = hex(nonZeroId(rng, 8))));
    return mapped;
  };
  const scale = 1 + (rng.next() * 2 - 1) * TIME_VARIATION;
  const shift = (time: bigint) => nowUnixNano + scaleNanos(time - template.startTimeUnixNano, scale);
  const spansByService = new Map<string, SpanInput[]>();
  for (const { service, span } of template.spans) {
    const start = shift(span.startTimeUnixNano);
    const replayed: SpanInput = {
      ...span,
      traceId,
      spanId: mapId(span.spanId),
      startTimeUnixNano: start,
      endTimeUnixNano: start + scaleNanos(span.endTimeUnixNano - span.startTimeUnixNano, scale),
    };
    if (span.parentSpanId !== undefined) replayed.parentSpanId = mapId(span.parentSpanId);
    if (span.attributes !== undefined) replayed.attributes = varyAttributes(span.attributes, rng);
    if (span.events !== undefined) replayed.events = span.events.map((event) => ({ ...event, timeUnixNano: shift(event.timeUnixNano) }));
    let spans = spansByService.get(service);
    if (spans === undefined) spansByService.set(service, (spans = []));
    spans.push(replayed);
  }
  return { traceId, spansByService, spanCount: template.spans.length };
}

function scaleNanos(nanos: bigint, scale: number): bigint {
  // Offsets and durations of recorded traces are far below 2^53 ns (104 days): exact as numbers.
  return BigInt(Math.round(Number(nanos) * scale));
}

function varyAttributes(attributes: Attributes, rng: Rng): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(attributes)) out[key] = NOT_A_MEASUREMENT.test(key) ? value : varyValue(value, rng);
  return out;
}

/** A number, or a string holding a decimal number, times 1 ± VALUE_VARIATION; same form back. */
function varyValue(value: AttributeValue, rng: Rng): AttributeValue {
  const factor = 1 + (rng.next() * 2 - 1) * VALUE_VARIATION;
  if (typeof value === 'number' && Number.isFinite(value)) return Number.isInteger(value) ? Math.round(value * factor) : value * factor;
  // Past 2^53 a decimal string is an identifier, not a measurement, and would not survive Number.
  if (typeof value === 'string' && DECIMAL.test(value) && Math.abs(Number(value)) < Number.MAX_SAFE_INTEGER) {
    const decimals = value.split('.')[1]?.length ?? 0;
    return (Number(value) * factor).toFixed(decimals);
  }
  return value;
}

function nonZeroId(rng: Rng, bytes: number): Uint8Array {
  const id = rng.bytes(bytes);
  id[0] = id[0]! | 1; // an all-zero id means "no id" in OTLP
  return id;
}

function idText(id: SpanIdInput): string {
  return typeof id === 'string' ? id.toLowerCase() : hex(id);
}

/** Wall-clock UnixNano with sub-millisecond steps: Date.now() once, then the monotonic clock. */
export function wallClockNanos(): () => bigint {
  const originUnixNano = BigInt(Date.now()) * 1_000_000n;
  const originHr = process.hrtime.bigint();
  return () => originUnixNano + (process.hrtime.bigint() - originHr);
}
