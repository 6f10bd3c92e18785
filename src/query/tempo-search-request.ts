/**
 * Tempo's search request (`GET /api/search`, data-format.md §9.2) read from its URL parameters into
 * one TraceQL AST, bounds and limits, the way Tempo reads them: `q` (TraceQL) or the legacy `tags`
 * (logfmt) with `minDuration`/`maxDuration`, never both; `start` and `end` in Unix seconds; `limit`
 * and `spss`. Grafana's first search sent each tag as its own parameter; with no q, tags, start or
 * end, every other parameter is a tag, as Tempo still reads it.
 */
import { SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX, SEARCH_SPANS_PER_SPANSET_DEFAULT, SEARCH_SPANS_PER_SPANSET_MAX } from '../constants.js';
import { invalidArgument } from '../errors.js';
import type { TimeBoundsInput } from '../api/index.js';
import { parseTraceQl, STATUS_CODES, type Condition, type Field, type Literal, type SpansetExpression, type StatusName } from '../traceql/index.js';
import { parseLogfmt } from './logfmt.js';
import { durationRange, integerParam, spansetOf } from './search-params.js';
import { parseTimeRange } from './tempo-api.js';

export interface TempoSearchRequest {
  query: SpansetExpression;
  /** Span start bounds from `start` and `end`, as the trace-by-ID API reads them. */
  bounds: TimeBoundsInput;
  limit: number;
  spansPerSpanSet: number;
}

/** Parameters that are never tags in the old one-parameter-per-tag form. */
const RESERVED = new Set(['q', 'tags', 'minDuration', 'maxDuration', 'limit', 'spss', 'start', 'end']);
/** An http.status_code tag that is all digits compares as a number. */
const STATUS_CODE_DIGITS = /^\d+$/;

/** The request `params` name; ERR_INVALID_ARGUMENT (a 400) saying what is wrong. */
export function parseTempoSearchRequest(params: URLSearchParams): TempoSearchRequest {
  const q = params.get('q');
  const tags = params.get('tags');
  if (q !== null && tags !== null) throw invalidArgument("search: q and tags got both; want one (TraceQL in q, or Tempo's legacy tags)");
  const bounds = parseTimeRange(params);
  if (typeof bounds === 'string') throw invalidArgument(`search: ${bounds}`);
  const limit = integerParam(params.get('limit'), 'limit', SEARCH_LIMIT_DEFAULT, SEARCH_LIMIT_MAX);
  const spansPerSpanSet = integerParam(params.get('spss'), 'spss', SEARCH_SPANS_PER_SPANSET_DEFAULT, SEARCH_SPANS_PER_SPANSET_MAX);
  const { min: minNanos, max: maxNanos } = durationRange({ text: params.get('minDuration'), name: 'minDuration' }, { text: params.get('maxDuration'), name: 'maxDuration' });
  if (q !== null) {
    if (minNanos !== null || maxNanos !== null) throw invalidArgument('search: minDuration and maxDuration go with tags, not q; write traceDuration in the TraceQL');
    return { query: parseTraceQl(q), bounds, limit, spansPerSpanSet };
  }
  let pairs: [string, string][];
  if (tags !== null) {
    const parsed = parseLogfmt(tags);
    if (typeof parsed === 'string') throw invalidArgument(`search: tags is not logfmt: ${parsed}`);
    pairs = parsed;
  } else if (params.get('start') === null && params.get('end') === null) {
    pairs = [...params.entries()].filter(([key, value]) => !RESERVED.has(key) && value !== '');
  } else {
    pairs = [];
  }
  const seen = new Set<string>();
  const conditions: Condition[] = [];
  for (const [key, value] of pairs) {
    if (seen.has(key)) throw invalidArgument(`search: tag ${JSON.stringify(key)} got twice; want each tag once`);
    seen.add(key);
    conditions.push(tagCondition(key, value));
  }
  if (minNanos !== null) conditions.push({ type: 'compare', field: { type: 'intrinsic', name: 'traceDuration' }, operator: '>=', value: { type: 'duration', nanos: minNanos } });
  if (maxNanos !== null) conditions.push({ type: 'compare', field: { type: 'intrinsic', name: 'traceDuration' }, operator: '<=', value: { type: 'duration', nanos: maxNanos } });
  return { query: spansetOf(conditions), bounds, limit, spansPerSpanSet };
}

/**
 * One legacy tag as a comparison (§9.2): Tempo's special labels as their intrinsics, the status
 * by name, http.status_code as a number when it is one, any other key as an attribute of either
 * scope. Matching is exact (Tempo's legacy search matched substrings).
 */
function tagCondition(key: string, value: string): Condition {
  const compare = (field: Field, literal: Literal): Condition => ({ type: 'compare', field, operator: '=', value: literal });
  switch (key) {
    case 'name':
      return compare({ type: 'intrinsic', name: 'name' }, { type: 'string', value });
    case 'root.service.name':
      return compare({ type: 'intrinsic', name: 'rootServiceName' }, { type: 'string', value });
    case 'root.name':
      return compare({ type: 'intrinsic', name: 'rootName' }, { type: 'string', value });
    case 'status.code':
      if (!(value in STATUS_CODES)) throw invalidArgument(`search: tag status.code got ${JSON.stringify(value)}; want unset, ok or error`);
      return compare({ type: 'intrinsic', name: 'status' }, { type: 'status', value: value as StatusName });
    case 'http.status_code':
      if (STATUS_CODE_DIGITS.test(value)) return compare({ type: 'attribute', scope: 'any', name: key }, { type: 'number', value: Number(value) });
      return compare({ type: 'attribute', scope: 'any', name: key }, { type: 'string', value });
    default:
      return compare({ type: 'attribute', scope: 'any', name: key }, { type: 'string', value });
  }
}
