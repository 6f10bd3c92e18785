/**
 * The query server of `tracekv serve` (data-format.md §8): HTTP on port 3200 by default (Tempo's),
 * bound like the daemon, with its TLS and token. Routes:
 * - `GET /api/v2/traces/<id>`, `GET /api/traces/<id>`: Tempo's trace-by-ID (tempo-api.ts);
 * - `GET /api/echo` (Grafana's "Save & test"), `GET /api/status/buildinfo`;
 * - `GET /ready`, the one route open without the token: a health probe carries none.
 *
 * node:http, not a framework: five GET routes matched on a split path need no router, the OTLP
 * receiver already runs on node:http with the same limits and close (protocol/http-listener.ts),
 * and a trace reply is one Buffer written once.
 */
import type http from 'node:http';
import { createRequire } from 'node:module';
import type { Span, TimeBoundsInput, Trace } from '../api/index.js';
import { QUERY_HEADERS_TIMEOUT_MS, QUERY_REQUEST_TIMEOUT_MS } from '../constants.js';
import { TraceKvError } from '../errors.js';
import { BearerToken } from '../protocol/bearer-token.js';
import { listenHttp, type HttpListener } from '../protocol/http-listener.js';
import { ProtobufBuilder } from './protobuf-builder.js';
import {
  JSON_CONTENT_TYPE,
  PROTOBUF_CONTENT_TYPE,
  parseTempoTraceId,
  parseTimeRange,
  replyFormatOf,
  traceReplyBody,
  type TraceApiVersion,
} from './tempo-api.js';

/** What the query server reads through: the daemon's store (getTrace, with its time bounds). */
export interface QueryStore {
  getTrace(traceId: string, options: TimeBoundsInput): Promise<Trace<Span> | null>;
}

export interface QueryServerOptions {
  host: string;
  port: number;
  token: string | undefined;
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  idleTimeoutMs: number;
  maxConnections: number;
  closeGraceMs: number;
}

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
    private readonly logger: (event: Record<string, unknown>) => void,
  ) {
    this.token = new BearerToken(token);
  }

  handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.counters.requests++;
    const work = this.reply(request).then(
      (reply) => this.send(response, reply),
      (error: unknown) => {
        this.logger({ event: 'query_internal_error', error: String(error) });
        this.send(response, text(500, `internal error: ${String(error)}`));
      },
    );
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async reply(request: http.IncomingMessage): Promise<Reply> {
    const url = new URL(request.url ?? '/', 'http://query');
    const path = url.pathname;
    const route = path === '/ready' || path === '/api/echo' || path === '/api/status/buildinfo' || path.startsWith(TRACES_V2_PREFIX) || path.startsWith(TRACES_V1_PREFIX);
    if (!route) return text(404, `no route for ${path}`);
    if (request.method !== 'GET') return text(405, `method got ${request.method}; want GET`, { allow: 'GET' });
    if (path === '/ready') return text(200, 'ready');
    if (!this.token.allows(request.headers.authorization)) {
      return text(401, 'wrong or missing token; want Authorization: Bearer <TRACEKV_TOKEN>', { 'www-authenticate': 'Bearer' });
    }
    if (path === '/api/echo') return { status: 200, contentType: TEXT_CONTENT_TYPE, body: 'echo' };
    if (path === '/api/status/buildinfo') return { status: 200, contentType: JSON_CONTENT_TYPE, body: this.buildInfo };
    const version: TraceApiVersion = path.startsWith(TRACES_V2_PREFIX) ? 'v2' : 'v1';
    return this.traceById(path.slice(version === 'v2' ? TRACES_V2_PREFIX.length : TRACES_V1_PREFIX.length), url.searchParams, version, request.headers.accept);
  }

  private async traceById(idText: string, params: URLSearchParams, version: TraceApiVersion, accept: string | undefined): Promise<Reply> {
    const traceId = parseTempoTraceId(idText);
    if (traceId === null) return text(400, `trace id got ${JSON.stringify(idText)}; want 1 to 32 hex digits, not all zero`);
    const bounds = parseTimeRange(params);
    if (typeof bounds === 'string') return text(400, bounds);
    let trace: Trace<Span> | null;
    try {
      trace = await this.store.getTrace(traceId, bounds);
    } catch (error) {
      return storeErrorReply(error);
    }
    if (trace === null) return text(404, 'trace not found');
    const format = replyFormatOf(accept);
    return { status: 200, contentType: format === 'protobuf' ? PROTOBUF_CONTENT_TYPE : JSON_CONTENT_TYPE, body: traceReplyBody(trace, version, format, this.builder) };
  }

  private send(response: http.ServerResponse, reply: Reply): void {
    const key = String(reply.status);
    this.counters.replies[key] = (this.counters.replies[key] ?? 0) + 1;
    if (response.destroyed || response.headersSent) return;
    response.writeHead(reply.status, { ...reply.headers, 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
    response.end(reply.body);
  }
}

/** A store error as an HTTP reply: busy and closing are retryable, a timeout is a gateway timeout, a refused oversized trace 413. */
function storeErrorReply(error: unknown): Reply {
  if (!(error instanceof TraceKvError)) throw error;
  switch (error.code) {
    case 'ERR_BUSY':
      return text(429, error.message, { 'retry-after': '1' });
    case 'ERR_STORE_CLOSED':
      return text(503, error.message, { 'retry-after': '1' });
    case 'ERR_TIMEOUT':
      return text(504, error.message);
    case 'ERR_TRACE_TOO_LARGE':
      // The store was told to refuse such traces (traceTooLarge: 'reject') rather than cut them.
      return text(413, error.message);
    default:
      return text(500, `${error.code}: ${error.message}`);
  }
}

export async function startQueryServer(store: QueryStore, options: QueryServerOptions, logger: (event: Record<string, unknown>) => void): Promise<QueryServer> {
  const handler = new QueryHandler(store, options.token, logger);
  const listener: HttpListener = await listenHttp(
    { ...options, headersTimeoutMs: QUERY_HEADERS_TIMEOUT_MS, requestTimeoutMs: QUERY_REQUEST_TIMEOUT_MS, face: 'query' },
    (request, response) => handler.handle(request, response),
    logger,
  );
  return { port: listener.port, counters: handler.counters, close: () => listener.close(() => handler.drain()) };
}
