/**
 * Jaeger's trace search requests (data-format.md §9.3) read into the search's TraceQL AST, bounds
 * and limit: `GET /api/v3/trace-summaries` (the UI from v2.19) and the v1 `GET /api/traces`. Jaeger
 * asks for traces with one span that meets everything given (its service, operation, tags and
 * duration), so the request becomes one spanset.
 */
import { SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX } from '../constants.js';
import { invalidArgument } from '../errors.js';
import type { TimeBoundsInput } from '../api/index.js';
import type { Condition, SpansetExpression } from '../traceql/index.js';
import { durationRange, integerParam, spansetOf } from './search-params.js';

export interface JaegerSearchRequest {
  query: SpansetExpression;
  bounds: TimeBoundsInput;
  limit: number;
}

/** RFC 3339 with up to nine fraction digits (Go's RFC3339Nano), `Z` or a ±hh:mm offset. */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
/** Unix microseconds in the v1 query string: at most this many digits (an int64 has 19). */
const UNIX_MICROS_DIGITS_MAX = 19;
const UNIX_MICROS = new RegExp(`^\\d{1,${UNIX_MICROS_DIGITS_MAX}}$`);
const NANOS_PER_MILLI = 1_000_000n;
const NANOS_PER_MICRO = 1_000n;
const MS_PER_MINUTE = 60_000;

/**
 * `/api/v3/trace-summaries`: `query.service_name`, `query.operation_name`, `query.attributes` (a
 * JSON object of strings), `query.start_time_min` / `query.start_time_max` (RFC 3339, the maximum
 * exclusive), `query.duration_min` / `query.duration_max` (Go durations), `query.search_depth`
 * (the limit). Each also in lowerCamel (`query.serviceName`, …), as grpc-gateway takes it.
 */
export function parseJaegerV3SearchRequest(params: URLSearchParams): JaegerSearchRequest {
  const get = (snake: string, camel: string) => params.get(`query.${snake}`) ?? params.get(`query.${camel}`);
  const start = get('start_time_min', 'startTimeMin');
  const end = get('start_time_max', 'startTimeMax');
  const bounds: TimeBoundsInput = {};
  if (start !== null && start !== '') bounds.startTimeUnixNano = rfc3339Nanos(start, 'query.start_time_min');
  if (end !== null && end !== '') bounds.endTimeUnixNano = rfc3339Nanos(end, 'query.start_time_max') - 1n;
  checkOrder(bounds);
  const query = spanset({
    service: get('service_name', 'serviceName'),
    operation: get('operation_name', 'operationName'),
    attributes: get('attributes', 'attributes'),
    durationMin: get('duration_min', 'durationMin'),
    durationMax: get('duration_max', 'durationMax'),
    names: { attributes: 'query.attributes', durationMin: 'query.duration_min', durationMax: 'query.duration_max' },
  });
  return { query, bounds, limit: integerParam(get('search_depth', 'searchDepth'), 'query.search_depth', SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX) };
}

/**
 * The v1 `/api/traces?service=&operation=&tags=&start=&end=&minDuration=&maxDuration=&limit=`:
 * `start` and `end` in Unix microseconds (both inclusive), `tags` a JSON object of strings.
 * `lookback` is the UI's own and is ignored, as Jaeger ignores it once start and end are given.
 */
export function parseJaegerV1SearchRequest(params: URLSearchParams): JaegerSearchRequest {
  const bounds: TimeBoundsInput = {};
  const start = params.get('start');
  const end = params.get('end');
  if (start !== null && start !== '') bounds.startTimeUnixNano = microsNanos(start, 'start');
  if (end !== null && end !== '') bounds.endTimeUnixNano = microsNanos(end, 'end') + NANOS_PER_MICRO - 1n;
  checkOrder(bounds);
  const query = spanset({
    service: params.get('service'),
    operation: params.get('operation'),
    attributes: params.get('tags'),
    durationMin: params.get('minDuration'),
    durationMax: params.get('maxDuration'),
    names: { attributes: 'tags', durationMin: 'minDuration', durationMax: 'maxDuration' },
  });
  return { query, bounds, limit: integerParam(params.get('limit'), 'limit', SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX) };
}

interface SpanCriteria {
  service: string | null;
  operation: string | null;
  attributes: string | null;
  durationMin: string | null;
  durationMax: string | null;
  /** The parameters' names, for errors. */
  names: { attributes: string; durationMin: string; durationMax: string };
}

/** One spanset: the span's service, name, attributes (resource or span) and duration. */
function spanset(criteria: SpanCriteria): SpansetExpression {
  const conditions: Condition[] = [];
  if (criteria.service !== null && criteria.service !== '') {
    conditions.push({ type: 'compare', field: { type: 'attribute', scope: 'resource', name: 'service.name' }, operator: '=', value: { type: 'string', value: criteria.service } });
  }
  if (criteria.operation !== null && criteria.operation !== '') {
    conditions.push({ type: 'compare', field: { type: 'intrinsic', name: 'name' }, operator: '=', value: { type: 'string', value: criteria.operation } });
  }
  for (const [key, value] of attributeMap(criteria.attributes, criteria.names.attributes)) {
    conditions.push({ type: 'compare', field: { type: 'attribute', scope: 'any', name: key }, operator: '=', value: { type: 'string', value } });
  }
  const { min, max } = durationRange({ text: criteria.durationMin, name: criteria.names.durationMin }, { text: criteria.durationMax, name: criteria.names.durationMax });
  if (min !== null) conditions.push({ type: 'compare', field: { type: 'intrinsic', name: 'duration' }, operator: '>=', value: { type: 'duration', nanos: min } });
  if (max !== null) conditions.push({ type: 'compare', field: { type: 'intrinsic', name: 'duration' }, operator: '<=', value: { type: 'duration', nanos: max } });
  return spansetOf(conditions);
}

/** A JSON object of string values, as Jaeger sends attributes and tags. */
function attributeMap(text: string | null, name: string): [string, string][] {
  if (text === null || text === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidArgument(`search: ${name} got ${JSON.stringify(text)}; want a JSON object of strings, such as {"http.status_code":"500"}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(`search: ${name} got ${JSON.stringify(text)}; want a JSON object of strings`);
  return Object.entries(value).map(([key, item]) => {
    if (typeof item !== 'string') throw invalidArgument(`search: ${name} key ${JSON.stringify(key)} got ${JSON.stringify(item)}; want a string`);
    return [key, item];
  });
}

function checkOrder(bounds: TimeBoundsInput): void {
  if (bounds.startTimeUnixNano !== undefined && bounds.endTimeUnixNano !== undefined && bounds.startTimeUnixNano > bounds.endTimeUnixNano) {
    throw invalidArgument('search: the time range ends before it starts');
  }
}

function microsNanos(text: string, name: string): bigint {
  if (!UNIX_MICROS.test(text)) throw invalidArgument(`search: ${name} got ${JSON.stringify(text)}; want Unix microseconds`);
  return BigInt(text) * NANOS_PER_MICRO;
}

/** Unix nanoseconds of an RFC 3339 time; the fraction is kept to the nanosecond. */
function rfc3339Nanos(text: string, name: string): bigint {
  const match = RFC3339.exec(text);
  const fail = () => invalidArgument(`search: ${name} got ${JSON.stringify(text)}; want RFC 3339, such as 2026-12-05T10:00:00.123456789Z`);
  if (match === null) throw fail();
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  // Date.UTC rolls February 30 over into March: a date that does not exist is refused instead.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw fail();
  const offsetMs = match[8] !== undefined ? 0 : (match[9] === '-' ? -1 : 1) * (Number(match[10]) * 60 + Number(match[11])) * MS_PER_MINUTE;
  const fraction = BigInt((match[7] ?? '').padEnd(9, '0') || '0');
  const nanos = BigInt(ms - offsetMs) * NANOS_PER_MILLI + fraction;
  if (nanos < 0n) throw fail();
  return nanos;
}
