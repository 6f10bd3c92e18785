/**
 * Test-only: Zod schemas of what the Jaeger UI reads from tracekv's Jaeger port (data-format.md
 * §8.5), so a reply of the wrong shape fails a test instead of a user's trace page.
 *
 * - `/api/v3/traces/<id>`: the UI's own v3 client validates with Zod (jaeger-ui
 *   packages/jaeger-ui/src/api/v3/schemas.ts). These schemas state the same facts: ids are hex (32
 *   and 16 digits, not all zero), nanosecond times are decimal strings in uint64 range, `intValue`
 *   a decimal string in int64 range, `bytesValue` base64, enums non-negative integers, counts
 *   non-negative integers, an AnyValue has exactly one value field, `scopeSpans` and `spans` are
 *   required arrays, and the reply is `{result: TracesData}`.
 * - `/api/traces/<id>`: the UI does not validate Jaeger's internal JSON, it reads it (its
 *   types/trace.ts and the Go JSON model of jaeger's query service): these schemas hold what it
 *   reads to the types it reads them as, e.g. `startTime` and `duration` integer microseconds, a
 *   tag's value of the JSON type its `type` names, and every `processID` a key of `processes`.
 *
 * The UI passes unknown keys everywhere (its schemas are `.passthrough()`), so `'ui'` does too.
 * `'exact'` refuses them: a key the UI does not know is one it silently ignores, so a misspelled
 * optional field (`startTimeUnixnano`) passes the UI's check yet loses the value; tests of our own
 * replies use 'exact'.
 */
import { z } from 'zod';

/** What a schema does with a key it does not name: pass it, as the UI does, or refuse it. */
export type UnknownKeys = 'ui' | 'exact';

const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const hexId = (digits: number) => z.string().regex(new RegExp(`^(?!0+$)[0-9a-f]{${digits}}$`, 'i'), `want ${digits} hex digits, not all zero`);
const traceIdHex = hexId(32);
const spanIdHex = hexId(16);
/** A uint64 nanosecond time as the UI wants it: a decimal string, never a JSON number (which loses digits past 2^53). */
/** `text` as a bigint when it is decimal digits, else null: Zod 3 runs a refinement even after a failed regex, and BigInt throws on non-digits. */
const decimal = (text: string): bigint | null => (/^-?\d{1,20}$/.test(text) ? BigInt(text) : null);
const within = (min: bigint, max: bigint) => (text: string) => {
  const value = decimal(text);
  return value !== null && value >= min && value <= max;
};
const decimalNanoString = z.string().regex(/^\d+$/, 'want a decimal uint64 string').refine(within(0n, UINT64_MAX), 'want a value in uint64 range');
const decimalInt64String = z.string().regex(/^-?\d+$/, 'want a decimal int64 string').refine(within(INT64_MIN, INT64_MAX), 'want a value in int64 range');
const count = z.number().int().min(0);
/** Open enums: OTLP sends numbers so that a new value does not break an old reader. */
const enumNumber = z.number().int().min(0);
const ANY_VALUE_KEYS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

export interface JaegerUiShapes {
  /** `/api/v3/traces/<id>`, 200. */
  v3Reply: z.ZodTypeAny;
  /** `/api/v3/traces/<id>`, an error: grpc-gateway's `{error: {httpCode, message}}`. */
  v3ErrorReply: z.ZodTypeAny;
  /** `/api/traces/<id>`, 200 or an error: the structured response envelope. */
  internalReply: z.ZodTypeAny;
}

/** The schemas, with unknown keys passed (`'ui'`) or refused (`'exact'`). */
export function jaegerUiShapes(unknownKeys: UnknownKeys): JaegerUiShapes {
  const object = <Shape extends z.ZodRawShape>(shape: Shape) => (unknownKeys === 'exact' ? z.object(shape).strict() : z.object(shape).passthrough());

  // --- /api/v3/traces/<id>: OTLP JSON under `result` ---
  const keyValue: z.ZodType<unknown> = z.lazy(() => object({ key: z.string(), value: anyValue }));
  const anyValue: z.ZodType<unknown> = z.lazy(() =>
    object({
      stringValue: z.string().optional(),
      boolValue: z.boolean().optional(),
      intValue: decimalInt64String.optional(),
      doubleValue: z.number().optional(),
      arrayValue: object({ values: z.array(anyValue).optional() }).optional(),
      kvlistValue: object({ values: z.array(keyValue).optional() }).optional(),
      bytesValue: z.string().base64().optional(),
    }).superRefine((value, context) => {
      const present = ANY_VALUE_KEYS.filter((key) => (value as Record<string, unknown>)[key] !== undefined);
      if (present.length !== 1) context.addIssue({ code: z.ZodIssueCode.custom, message: `AnyValue got ${present.length} value fields (${present.join(', ')}); want exactly 1` });
    }),
  );
  const attributes = z.array(keyValue).optional();
  const event = object({ timeUnixNano: decimalNanoString.optional(), name: z.string().optional(), attributes, droppedAttributesCount: count.optional() });
  const link = object({ traceId: traceIdHex, spanId: spanIdHex, traceState: z.string().optional(), attributes, droppedAttributesCount: count.optional(), flags: count.optional() });
  const span = object({
    traceId: traceIdHex,
    spanId: spanIdHex,
    traceState: z.string().optional(),
    parentSpanId: spanIdHex.optional(),
    flags: count.optional(),
    name: z.string().optional(),
    kind: enumNumber.optional(),
    startTimeUnixNano: decimalNanoString.optional(),
    endTimeUnixNano: decimalNanoString.optional(),
    attributes,
    droppedAttributesCount: count.optional(),
    events: z.array(event).optional(),
    droppedEventsCount: count.optional(),
    links: z.array(link).optional(),
    droppedLinksCount: count.optional(),
    status: object({ message: z.string().optional(), code: enumNumber.optional() }).optional(),
  });
  const scope = object({ name: z.string().optional(), version: z.string().optional(), attributes, droppedAttributesCount: count.optional() });
  const scopeSpans = object({ scope: scope.optional(), spans: z.array(span), schemaUrl: z.string().optional() });
  const resource = object({ attributes, droppedAttributesCount: count.optional() });
  const resourceSpans = object({ resource: resource.optional(), scopeSpans: z.array(scopeSpans), schemaUrl: z.string().optional() });
  const v3Reply = object({ result: object({ resourceSpans: z.array(resourceSpans).optional() }) });
  const v3ErrorReply = object({ error: object({ httpCode: z.number().int(), message: z.string() }) });

  // --- /api/traces/<id>: Jaeger's internal JSON ---
  const tag = z.discriminatedUnion('type', [
    object({ key: z.string(), type: z.literal('string'), value: z.string() }),
    object({ key: z.string(), type: z.literal('bool'), value: z.boolean() }),
    object({ key: z.string(), type: z.literal('int64'), value: z.number().int() }),
    object({ key: z.string(), type: z.literal('float64'), value: z.number() }),
    object({ key: z.string(), type: z.literal('binary'), value: z.string().base64() }),
  ]);
  /** A Jaeger trace id: 32 hex digits, or 16 when the high half is zero (as Jaeger writes it). */
  const jaegerTraceId = z.string().regex(/^(?!0+$)(?:[0-9a-f]{16}|[0-9a-f]{32})$/, 'want 16 or 32 lowercase hex digits, not all zero');
  const micros = z.number().int().min(0);
  const warnings = z.array(z.string()).nullable();
  const reference = object({ refType: z.enum(['CHILD_OF', 'FOLLOWS_FROM']), traceID: jaegerTraceId, spanID: spanIdHex });
  const internalSpan = object({
    traceID: jaegerTraceId,
    spanID: spanIdHex,
    flags: count.optional(),
    operationName: z.string(),
    references: z.array(reference),
    startTime: micros,
    duration: micros,
    tags: z.array(tag),
    logs: z.array(object({ timestamp: micros, fields: z.array(tag) })),
    processID: z.string(),
    warnings,
  });
  const process = object({ serviceName: z.string(), tags: z.array(tag) });
  const internalTrace = object({ traceID: jaegerTraceId, spans: z.array(internalSpan), processes: z.record(z.string(), process), warnings }).superRefine((trace, context) => {
    for (const [index, span] of trace.spans.entries()) {
      if (!(span.processID in trace.processes)) context.addIssue({ code: z.ZodIssueCode.custom, path: ['spans', index, 'processID'], message: `processID got ${span.processID}; want a key of processes` });
      if (span.traceID !== trace.traceID) context.addIssue({ code: z.ZodIssueCode.custom, path: ['spans', index, 'traceID'], message: `traceID got ${span.traceID}; want the trace's ${trace.traceID}` });
    }
  });
  const structuredError = object({ code: z.number().int(), msg: z.string(), traceID: z.string().optional() });
  const internalReply = object({ data: z.array(internalTrace).nullable(), total: z.number().int(), limit: z.number().int(), offset: z.number().int(), errors: z.array(structuredError).nullable() });

  return { v3Reply, v3ErrorReply, internalReply };
}

/** The issues of `schema` against `value`, as `path: message` lines: empty when it fits (an expect on [] prints every issue). */
export function shapeIssues(schema: z.ZodTypeAny, value: unknown): string[] {
  const result = schema.safeParse(value);
  return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}
