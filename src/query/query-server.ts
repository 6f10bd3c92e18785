/**
 * The query servers of `tracekv serve` (data-format.md §8), HTTP, bound like the daemon, with its
 * TLS and token: one speaks Tempo's API (port 3200 by default), one Jaeger's query API by id
 * (16686; `/api/traces/<id>` and `/api/v3/traces/<id>`, §8.5, jaeger-json.ts). Tempo's routes:
 * - `GET /api/v2/traces/<id>`, `GET /api/traces/<id>`: Tempo's trace-by-ID (tempo-api.ts);
 * - `POST /api/v2/traces:batch`: many traces at once, in input order, NDJSON or length-delimited
 *   protobuf (Tempo has none);
 * - `GET /api/echo` (Grafana's "Save & test"), `GET /api/status/buildinfo`;
 * - `GET /metrics`: the daemon's Prometheus metrics (daemon/prometheus.ts);
 * - `GET /ready`, the one route open without the token: a health probe carries none.
 *
 * node:http, not a framework: a handful of routes matched on the path need no router, the OTLP
 * receiver already runs on node:http with the same limits and close (protocol/http-listener.ts),
 * and a trace reply is one Buffer written once.
 */
import type http from 'node:http';
import { createRequire } from 'node:module';
import type { OtlpTrace, Span, StreamedOtlpTrace, StreamedTrace, TimeBoundsInput, Trace } from '../api/index.js';
import { QUERY_BATCH_BODY_BYTES_MAX, QUERY_HEADERS_TIMEOUT_MS, QUERY_REQUEST_TIMEOUT_MS } from '../constants.js';
import { TraceKvError } from '../errors.js';
import { BearerToken } from '../protocol/bearer-token.js';
import { listenHttp, type HttpListener } from '../protocol/http-listener.js';
import { readRequestBody } from '../protocol/request-body.js';
import { jaegerTraceJson } from './jaeger-json.js';
import { storeErrorReply } from './store-error-reply.js';
import { ProtobufBuilder } from '../codec/protobuf-builder.js';
import { resourceSpansJson } from './trace-json.js';
import {
  bulkProtobufError,
  bulkProtobufItem,
  JSON_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
  parseTempoTraceId,
  parseTimeRange,
  replyFormatOf,
  traceByIdJson,
  traceReplyJson,
  traceReplyProtobuf,
  type TraceApiVersion,
} from './tempo-api.js';

/**
 * What the query server reads through: the daemon's store, with time bounds; decoded spans for the
 * JSON replies, OTLP protobuf written by the readers for the protobuf ones.
 */
export interface QueryStore {
  getTrace(traceId: string, options: TimeBoundsInput): Promise<Trace<Span> | null>;
  getTracesStream(traceIds: Iterable<string>, options: TimeBoundsInput): AsyncGenerator<StreamedTrace<Span>>;
  getTraceOtlp(traceId: string, options: TimeBoundsInput): Promise<OtlpTrace | null>;
  getTracesOtlpStream(traceIds: Iterable<string>, options: TimeBoundsInput): AsyncGenerator<StreamedOtlpTrace>;
}

export interface QueryServerOptions {
  host: string;
  port: number;
  token: string | undefined;
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  idleTimeoutMs: number;
  maxConnections: number;
  closeGraceMs: number;
  /** Most ids one bulk read may ask for: the store's requestTracesMax. */
  requestTracesMax: number;
  /** Which API this server speaks: Tempo's (port 3200) or Jaeger's query API (port 16686), whose /api/traces/<id> differs. */
  face: QueryFace;
  /** Told of every trace lookup (none when left out). */
  lookupObserver?: LookupObserver;
  /** `GET /metrics` on the Tempo face: the Prometheus text and its content type (404 when left out). */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/**
 * A lookup's endpoint, outcome and seconds taken (data-format.md §8.6). On the query servers the
 * endpoint is tempo_v2, tempo_v1, tempo_batch, jaeger or jaeger_v3 and the status the HTTP status;
 * on the daemon's TCP face (daemon/handlers.ts) tcp_get_span, tcp_get_trace or tcp_get_traces and
 * `ok` or the error's code.
 */
export type LookupObserver = (endpoint: string, status: number | string, seconds: number) => void;

export type QueryFace = 'tempo' | 'jaeger';

export interface QueryCounters {
  requests: number;
  /** Replies by status code. */
  replies: Record<string, number>;
}

export interface QueryServer {
  readonly port: number;
  readonly counters: QueryCounters;
  close(): Promise<void>;
}

const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
const TRACES_V2_PREFIX = '/api/v2/traces/';
const TRACES_V1_PREFIX = '/api/traces/';
const TRACES_BATCH_PATH = '/api/v2/traces:batch';
const JAEGER_V3_PREFIX = '/api/v3/traces/';
const METRICS_PATH = '/metrics';
const MS_PER_SECOND = 1000;

/** The lookup endpoint a request path names, for the lookup metrics; null for routes that look nothing up. */
function lookupEndpoint(face: QueryFace, url: string): string | null {
  const path = url.split('?', 1)[0]!;
  if (face === 'jaeger') return path.startsWith(JAEGER_V3_PREFIX) ? 'jaeger_v3' : path.startsWith(TRACES_V1_PREFIX) ? 'jaeger' : null;
  if (path === TRACES_BATCH_PATH) return 'tempo_batch';
  return path.startsWith(TRACES_V2_PREFIX) ? 'tempo_v2' : path.startsWith(TRACES_V1_PREFIX) ? 'tempo_v1' : null;
}
const NDJSON_CONTENT_TYPE = 'application/x-ndjson';

interface Reply {
  status: number;
  contentType: string;
  body: Buffer | string;
  headers?: http.OutgoingHttpHeaders;
}

const text = (status: number, body: string, headers?: http.OutgoingHttpHeaders): Reply => ({ status, contentType: TEXT_CONTENT_TYPE, body: `${body}\n`, ...(headers === undefined ? {} : { headers }) });

/** `{ version, revision, branch, buildUser, buildDate, goVersion }`: Tempo's shape, our package's version. */
function buildInfo(): string {
  const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
  return JSON.stringify({ version, revision: '', branch: '', buildUser: '', buildDate: '', goVersion: '' });
}

class QueryHandler {
  private readonly token: BearerToken;
  private readonly builder = new ProtobufBuilder();
  private readonly buildInfo = buildInfo();
  readonly counters: QueryCounters = { requests: 0, replies: {} };
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: QueryStore,
    token: string | undefined,
    private readonly requestTracesMax: number,
    private readonly face: QueryFace,
    private readonly logger: (event: Record<string, unknown>) => void,
    private readonly lookupObserver: LookupObserver | undefined,
    private readonly metrics: QueryServerOptions['metrics'],
  ) {
    this.token = new BearerToken(token);
  }

  handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.counters.requests++;
    const startedAtMs = performance.now();
    const work = this.reply(request, response).then(
      (reply) => {
        if (reply !== null) this.send(response, reply);
        this.observe(request, reply?.status ?? response.statusCode, startedAtMs);
      },
      (error: unknown) => {
        this.logger({ event: 'query_internal_error', error: String(error) });
        const reply = text(500, `internal error: ${String(error)}`);
        this.send(response, reply);
        // Counted like any reply: an error rate read from the metrics must see the failures too.
        this.observe(request, reply.status, startedAtMs);
      },
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  /** Tells the lookup observer of a request on a lookup route (none for the other routes). */
  private observe(request: http.IncomingMessage, status: number, startedAtMs: number): void {
    if (this.lookupObserver === undefined) return;
    const endpoint = lookupEndpoint(this.face, request.url ?? '/');
    if (endpoint !== null) this.lookupObserver(endpoint, status, (performance.now() - startedAtMs) / MS_PER_SECOND);
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /** The reply, or null when the route streamed its own (the bulk read). */
  private async reply(request: http.IncomingMessage, response: http.ServerResponse): Promise<Reply | null> {
    const url = new URL(request.url ?? '/', 'http://query');
    const path = url.pathname;
    const route =
      path === '/ready' ||
      path.startsWith(TRACES_V1_PREFIX) ||
      (this.face === 'tempo'
        ? path === '/api/echo' || path === '/api/status/buildinfo' || path === TRACES_BATCH_PATH || path.startsWith(TRACES_V2_PREFIX) || (path === METRICS_PATH && this.metrics !== undefined)
        : path.startsWith(JAEGER_V3_PREFIX));
    if (!route) return text(404, `no route for ${path}`);
    const method = path === TRACES_BATCH_PATH ? 'POST' : 'GET';
    // Refused before the body is read: the connection closes rather than drain an unread body.
    if (request.method !== method) return text(405, `method got ${request.method}; want ${method}`, { allow: method, connection: 'close' });
    if (path === '/ready') return text(200, 'ready');
    if (!this.token.allows(request.headers.authorization)) {
      return text(401, 'wrong or missing token; want Authorization: Bearer <TRACEKV_TOKEN>', { 'www-authenticate': 'Bearer', connection: 'close' });
    }
    if (this.face === 'jaeger') return this.jaegerTrace(path);
    if (path === TRACES_BATCH_PATH) return this.bulk(request, response);
    if (path === '/api/echo') return { status: 200, contentType: TEXT_CONTENT_TYPE, body: 'echo' };
    if (path === METRICS_PATH) {
      const { contentType, body } = await this.metrics!();
      return { status: 200, contentType, body };
    }
    if (path === '/api/status/buildinfo') return { status: 200, contentType: JSON_CONTENT_TYPE, body: this.buildInfo };
    const version: TraceApiVersion = path.startsWith(TRACES_V2_PREFIX) ? 'v2' : 'v1';
    return this.traceById(path.slice(version === 'v2' ? TRACES_V2_PREFIX.length : TRACES_V1_PREFIX.length), url.searchParams, version, request.headers.accept);
  }

  /**
   * Jaeger's query API by id: `/api/traces/<id>` in Jaeger's internal JSON (the envelope the UI
   * reads), `/api/v3/traces/<id>` in OTLP JSON under `result`. Jaeger takes `start` and `end` too,
   * in Unix microseconds on the first and RFC 3339 on v3; tracekv reads neither and returns the
   * whole trace (§8.5).
   */
  private async jaegerTrace(path: string): Promise<Reply> {
    const v3 = path.startsWith(JAEGER_V3_PREFIX);
    const idText = path.slice(v3 ? JAEGER_V3_PREFIX.length : TRACES_V1_PREFIX.length);
    const traceId = parseTempoTraceId(idText);
    const json = (status: number, body: object, headers?: http.OutgoingHttpHeaders): Reply => ({ status, contentType: JSON_CONTENT_TYPE, body: JSON.stringify(body), ...(headers === undefined ? {} : { headers }) });
    const failure = (status: number, message: string, headers?: http.OutgoingHttpHeaders): Reply =>
      v3 ? json(status, { error: { httpCode: status, message } }, headers) : json(status, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: status, msg: message }] }, headers);
    if (traceId === null) return failure(400, `trace id got ${JSON.stringify(idText)}; want 1 to 32 hex digits, not all zero`);
    let trace: Trace<Span> | null;
    try {
      trace = await this.store.getTrace(traceId, {});
    } catch (error) {
      const { status, message, headers } = storeErrorReply(error);
      return failure(status, message, headers);
    }
    if (trace === null) return failure(404, 'trace not found');
    if (v3) return json(200, { result: { resourceSpans: resourceSpansJson(trace.spans, 'otlp') } });
    return json(200, { data: [jaegerTraceJson(trace)], total: 0, limit: 0, offset: 0, errors: null });
  }

  private async traceById(idText: string, params: URLSearchParams, version: TraceApiVersion, accept: string | undefined): Promise<Reply> {
    const traceId = parseTempoTraceId(idText);
    if (traceId === null) return text(400, `trace id got ${JSON.stringify(idText)}; want 1 to 32 hex digits, not all zero`);
    const bounds = parseTimeRange(params);
    if (typeof bounds === 'string') return text(400, bounds);
    const protobuf = replyFormatOf(accept) === 'protobuf';
    let trace: Trace<Span> | OtlpTrace | null;
    try {
      trace = protobuf ? await this.store.getTraceOtlp(traceId, bounds) : await this.store.getTrace(traceId, bounds);
    } catch (error) {
      return storeErrorText(error);
    }
    if (trace === null) return text(404, 'trace not found');
    if (protobuf) return { status: 200, contentType: PROTOBUF_CONTENT_TYPE, body: traceReplyProtobuf(trace as OtlpTrace, version, this.builder) };
    return { status: 200, contentType: JSON_CONTENT_TYPE, body: traceReplyJson(trace as Trace<Span>, version) };
  }

  /**
   * `POST /api/v2/traces:batch` with `{"ids": [...], "start"?, "end"?}`: NDJSON, one line per id in
   * input order, the v2 JSON reply of its trace or `null` for a miss; with `Accept:
   * application/protobuf`, one length-delimited v2 protobuf reply per id instead, empty for a miss
   * (data-format.md §8.4). The
   * first traces are read before the status line, so a store that cannot read at all still gets
   * its status code; a failure after that ends the reply with an `{"error": …}` line instead.
   */
  private async bulk(request: http.IncomingMessage, response: http.ServerResponse): Promise<Reply | null> {
    const parsed = await this.bulkRequest(request);
    if ('status' in parsed) return parsed;
    const protobuf = replyFormatOf(request.headers.accept) === 'protobuf';
    const traces: AsyncGenerator<StreamedTrace<Span> | StreamedOtlpTrace> = protobuf
      ? this.store.getTracesOtlpStream(parsed.ids, parsed.bounds)
      : this.store.getTracesStream(parsed.ids, parsed.bounds);
    let first: IteratorResult<StreamedTrace<Span> | StreamedOtlpTrace>;
    try {
      first = await traces.next();
    } catch (error) {
      return storeErrorText(error);
    }
    this.count(200);
    response.writeHead(200, { 'content-type': protobuf ? PROTOBUF_CONTENT_TYPE : NDJSON_CONTENT_TYPE });
    try {
      for (let item = first; item.done !== true; item = await traces.next()) {
        if (response.destroyed) break;
        const trace = item.value.trace;
        const chunk = protobuf
          ? bulkProtobufItem(this.builder, trace as OtlpTrace | null)
          : trace === null
            ? 'null\n'
            : `${JSON.stringify(traceByIdJson(trace as Trace<Span>))}\n`;
        if (!response.write(chunk)) await drainedOrClosed(response);
      }
    } catch (error) {
      const failure = error instanceof TraceKvError ? { code: error.code, message: error.message } : { code: 'ERR_INTERNAL', message: String(error) };
      if (!(error instanceof TraceKvError)) this.logger({ event: 'query_internal_error', error: String(error) });
      response.write(protobuf ? bulkProtobufError(this.builder, failure.code, failure.message) : `${JSON.stringify({ error: failure })}\n`);
    } finally {
      await traces.return(undefined);
    }
    response.end();
    return null;
  }

  /** The bulk read's ids and bounds, or the reply that refuses them. */
  private async bulkRequest(request: http.IncomingMessage): Promise<{ ids: string[]; bounds: TimeBoundsInput } | Reply> {
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) return text(415, `Content-Type got ${request.headers['content-type'] ?? 'none'}; want application/json`, { connection: 'close' });
    const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== '') return text(415, `Content-Encoding got ${encoding}; want none (identity)`, { connection: 'close' });
    let body: Buffer;
    try {
      const length = Number(request.headers['content-length']);
      body = await readRequestBody(request, 'identity', { bytesMax: QUERY_BATCH_BODY_BYTES_MAX, name: 'QUERY_BATCH_BODY_BYTES_MAX' }, Number.isSafeInteger(length) ? length : undefined);
    } catch (error) {
      if (error instanceof TraceKvError && error.code === 'ERR_REQUEST_TOO_LARGE') return text(413, error.message, { connection: 'close' });
      throw error;
    }
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return text(400, `body is not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const { ids, start, end } = (input ?? {}) as { ids?: unknown; start?: unknown; end?: unknown };
    if (input === null || typeof input !== 'object' || !Array.isArray(ids)) return text(400, 'body got no "ids" array; want {"ids": ["<hex trace id>", …], "start"?: s, "end"?: s}');
    if (ids.length === 0 || ids.length > this.requestTracesMax) return text(ids.length === 0 ? 400 : 413, `ids got ${ids.length}; want 1 to requestTracesMax (${this.requestTracesMax})`);
    const parsedIds: string[] = [];
    for (const [index, id] of ids.entries()) {
      const parsed = typeof id === 'string' ? parseTempoTraceId(id) : null;
      if (parsed === null) return text(400, `ids[${index}] got ${JSON.stringify(id)}; want 1 to 32 hex digits, not all zero`);
      parsedIds.push(parsed);
    }
    const seconds = (value: unknown) => (value === undefined || value === null ? null : typeof value === 'number' || typeof value === 'string' ? String(value) : '?');
    const bounds = parseTimeRange({ get: (name) => seconds(name === 'start' ? start : end) });
    if (typeof bounds === 'string') return text(400, bounds);
    return { ids: parsedIds, bounds };
  }

  private count(status: number): void {
    const key = String(status);
    this.counters.replies[key] = (this.counters.replies[key] ?? 0) + 1;
  }

  private send(response: http.ServerResponse, reply: Reply): void {
    this.count(reply.status);
    if (response.destroyed || response.headersSent) return;
    response.writeHead(reply.status, { ...reply.headers, 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
    response.end(reply.body);
  }
}

/** A store error as Tempo's text reply (store-error-reply.ts holds the table). */
function storeErrorText(error: unknown): Reply {
  const { status, message, headers } = storeErrorReply(error);
  return text(status, message, headers);
}

/**
 * Resolves on the response's next 'drain' or 'close', and takes both listeners off either way: a
 * listener left behind per full socket buffer piled up on long replies (Node's
 * MaxListenersExceededWarning after ten, on a 100-trace bulk read).
 */
function drainedOrClosed(response: http.ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

export async function startQueryServer(store: QueryStore, options: QueryServerOptions, logger: (event: Record<string, unknown>) => void): Promise<QueryServer> {
  const handler = new QueryHandler(store, options.token, options.requestTracesMax, options.face, logger, options.lookupObserver, options.metrics);
  const listener: HttpListener = await listenHttp(
    { ...options, headersTimeoutMs: QUERY_HEADERS_TIMEOUT_MS, requestTimeoutMs: QUERY_REQUEST_TIMEOUT_MS, face: options.face === 'tempo' ? 'query (Tempo API)' : 'query (Jaeger API)' },
    (request, response) => handler.handle(request, response),
    logger,
  );
  return { port: listener.port, counters: handler.counters, close: () => listener.close(() => handler.drain()) };
}
