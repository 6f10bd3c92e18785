/**
 * Test-only: runs sdk-child.mjs (a real OpenTelemetry JS SDK with one sender) as a child process,
 * and turns the spans it describes into the Span that getTrace must return for each, by the OTLP
 * rules (data-format.md §7.1; @opentelemetry/otlp-transformer's mapping), written here from the
 * SDK's own values, independently of src/otlp and src/otel.
 */
import { spawn } from 'node:child_process';
import type { AttributeValue, Attributes, Span, SpanInput } from '../../src/batch/types.js';
import { expectedResource, expectedScope, expectedSpan } from '../helpers/expected.js';

const CHILD = new URL('./sdk-child.mjs', import.meta.url).pathname;
/** The child's stderr kept for a failure message: the exporters' diag warnings and any stack. */
const STDERR_KEPT_CHARS_MAX = 16_384;

export type Sender = 'otlp-proto' | 'otlp-json' | 'otlp-grpc' | 'otlp-env' | 'tracekv-exporter' | 'tracekv-processor';

/** What sdk-child.mjs takes as argv[2]. */
export interface SenderSpec {
  sender: Sender;
  /** Names the run: the resource's service.name is `otlp-sdk-<run>`. */
  run: string;
  /** OTLP exporters: the URL given to the constructor. */
  endpoint?: string;
  /** Our exporter and processor: the daemon's TCP port. */
  port?: number;
  gzip?: boolean;
  token?: string;
}

/** An attribute value as the child tags it, so that JSON keeps the JS type (8 vs 8.0, Infinity). */
type Tagged = { s: string } | { b: boolean } | { n: string } | { a: Tagged[] };
type TaggedAttributes = [string, Tagged][];

interface ContextDescription {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote: boolean;
  traceState: string;
}

/** One span the SDK ended, as sdk-child.mjs describes it. */
export interface SpanDescription extends ContextDescription {
  parent: ContextDescription | null;
  name: string;
  /** The API's SpanKind (INTERNAL 0 … CONSUMER 4). */
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: TaggedAttributes;
  droppedAttributesCount: number;
  events: { name: string; timeUnixNano: string; attributes: TaggedAttributes; droppedAttributesCount: number }[];
  droppedEventsCount: number;
  links: (ContextDescription & { attributes: TaggedAttributes; droppedAttributesCount: number })[];
  droppedLinksCount: number;
  status: { code: number; message: string };
  resource: { attributes: TaggedAttributes; schemaUrl: string };
  scope: { name: string; version: string; schemaUrl: string };
}

export interface SdkRun {
  spans: SpanDescription[];
  /** What the sender reported: spans it was told were stored, spans that failed, and why. */
  sent: { exportedSpans: number; failedSpans: number; exports: number; errors: string[] };
}

/**
 * Runs the SDK child to its end. `env` replaces every OTEL_* variable of this process (none leak
 * in from the environment the tests run in).
 */
export function runSdkChild(spec: SenderSpec, env: Record<string, string> = {}): Promise<SdkRun> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_')));
  const child = spawn(process.execPath, [CHILD, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...inherited, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEPT_CHARS_MAX)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || line === '') {
        reject(new Error(`the SDK child (${spec.sender}, run ${spec.run}) exited ${code ?? signal} without its report: ${stderr.trim()}`));
        return;
      }
      const run = JSON.parse(line) as SdkRun;
      // A sender that lost spans is the first thing a reader of a failure wants to know.
      if (run.sent.failedSpans !== 0 || run.sent.exportedSpans !== run.spans.length || run.sent.errors.length !== 0) {
        reject(new Error(`${spec.sender} (run ${spec.run}) sent ${run.sent.exportedSpans} of ${run.spans.length} spans, ${run.sent.failedSpans} failed: ${run.sent.errors.join('; ')} ${stderr.trim()}`));
        return;
      }
      resolve(run);
    });
  });
}

/** What OTLP's JSON encoding can carry: JSON.stringify writes a non-finite double as null, an empty AnyValue. */
export interface Encoding {
  json: boolean;
}

const INT64_MIN = -(2 ** 63);
const INT64_END = 2 ** 63;

/** The stored value of a tagged value, or undefined for OTLP's empty value (which §7.1 leaves out). */
function storedValue(value: Tagged, encoding: Encoding): AttributeValue | undefined {
  if ('s' in value) return value.s;
  if ('b' in value) return value.b;
  if ('a' in value) return value.a.map((item) => storedValue(item, encoding)).filter((item) => item !== undefined) as AttributeValue;
  const number = Number(value.n);
  // otlp-transformer: an integral number within int64 is an intValue (read back as a bigint), anything else a doubleValue.
  if (Number.isInteger(number) && number >= INT64_MIN && number < INT64_END) return BigInt(number);
  if (encoding.json && !Number.isFinite(number)) return undefined;
  return number;
}

/** The stored attributes, and how many keys were left out for an empty value (added to the owner's dropped count). */
function storedAttributes(attributes: TaggedAttributes, encoding: Encoding): { attributes: Attributes; emptied: number } {
  const out: Attributes = {};
  let emptied = 0;
  for (const [key, tagged] of attributes) {
    const value = storedValue(tagged, encoding);
    if (value === undefined) emptied++;
    else out[key] = value;
  }
  return { attributes: out, emptied };
}

/** OTLP flags: the W3C trace flags, 0x100 ("is_remote is known") and 0x200 when remote. */
function flagsOf(traceFlags: number, isRemote: boolean): number {
  return (traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0);
}

const absentIfEmpty = (text: string): string | undefined => (text === '' ? undefined : text);

/** The Span getTrace returns for a described span sent with `encoding`. */
export function expectedStored(span: SpanDescription, encoding: Encoding): Span {
  const own = storedAttributes(span.attributes, encoding);
  const input: SpanInput = {
    traceId: span.traceId,
    spanId: span.spanId,
    traceState: absentIfEmpty(span.traceState),
    parentSpanId: span.parent?.spanId,
    flags: flagsOf(span.traceFlags, span.parent?.isRemote === true),
    name: span.name,
    // OTLP's SpanKind is the API's plus one (0 is UNSPECIFIED there).
    kind: span.kind + 1,
    startTimeUnixNano: BigInt(span.startTimeUnixNano),
    endTimeUnixNano: BigInt(span.endTimeUnixNano),
    attributes: own.attributes,
    droppedAttributesCount: span.droppedAttributesCount + own.emptied,
    events: span.events.map((event) => {
      const stored = storedAttributes(event.attributes, encoding);
      return { name: event.name, timeUnixNano: BigInt(event.timeUnixNano), attributes: stored.attributes, droppedAttributesCount: event.droppedAttributesCount + stored.emptied };
    }),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => {
      const stored = storedAttributes(link.attributes, encoding);
      return {
        traceId: link.traceId,
        spanId: link.spanId,
        traceState: absentIfEmpty(link.traceState),
        attributes: stored.attributes,
        droppedAttributesCount: link.droppedAttributesCount + stored.emptied,
        flags: flagsOf(link.traceFlags, link.isRemote),
      };
    }),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code as 0 | 1 | 2, message: span.status.message },
  };
  // expectedSpan copies optional fields as given: leave the absent ones out rather than undefined.
  for (const key of ['traceState', 'parentSpanId'] as const) if (input[key] === undefined) delete input[key];
  for (const link of input.links!) if (link.traceState === undefined) delete link.traceState;
  const resource = storedAttributes(span.resource.attributes, encoding);
  return expectedSpan(
    input,
    expectedResource({ attributes: resource.attributes, droppedAttributesCount: resource.emptied, schemaUrl: absentIfEmpty(span.resource.schemaUrl) }),
    expectedScope({ name: absentIfEmpty(span.scope.name), version: absentIfEmpty(span.scope.version), schemaUrl: absentIfEmpty(span.scope.schemaUrl) }),
  );
}
