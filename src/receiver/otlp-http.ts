/**
 * The OTLP/HTTP receiver (data-format.md §7.3): `POST /v1/traces` with an ExportTraceServiceRequest
 * in protobuf (`application/x-protobuf`) or OTLP JSON (`application/json`), identity or
 * `Content-Encoding: gzip`, answered in the content type it came in. Every refusal has its own
 * status: 404 path, 405 method, 401 token, 415 content type or encoding, 413 size (wire or
 * inflated), 400 undecodable, 429 in-flight budget (Retry-After), 503 closing or store failure
 * (Retry-After), 500 bug. A refusal made before the body was read whole also closes the
 * connection (`Connection: close`): the unread rest of the body cannot be trusted to be small.
 */
import type http from 'node:http';
import { OTLP_HTTP_HEADERS_TIMEOUT_MS, OTLP_HTTP_REQUEST_TIMEOUT_MS, OTLP_HTTP_TRACES_PATH } from '../constants.js';
import { TraceKvError } from '../errors.js';
import { BearerToken } from '../protocol/bearer-token.js';
import { listenHttp } from '../protocol/http-listener.js';
import { encodeExportResponseJson, encodeExportResponseProtobuf } from './export-response.js';
import type { IngestOutcome, OtlpFormat, OtlpIngest } from './otlp-ingest.js';
import type { OtlpCounters } from './otlp-metrics.js';
import { readRequestBody, type ContentEncoding } from '../protocol/request-body.js';
import { GrpcCode, encodeRpcStatusJson, encodeRpcStatusProtobuf, type RpcStatus } from './rpc-status.js';

export interface OtlpServerOptions {
  host: string;
  port: number;
  token: string | undefined;
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  requestBytesMax: number;
  /** A keep-alive connection idle this long is closed. */
  idleTimeoutMs: number;
  /** Connections open at once; more are refused by the OS accept path (Node closes them). */
  maxConnections: number;
  /** How long a graceful close waits for open connections before cutting them. */
  closeGraceMs: number;
}

/** A started receiver: where it listens, and its graceful close. */
export interface OtlpServer {
  readonly port: number;
  /** Stops accepting, answers what is in flight, then closes every connection. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<OtlpFormat, string> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** The request's format from Content-Type; a parameter is allowed, but JSON must be UTF-8 (the OTLP JSON rule). */
function formatOf(contentType: string | undefined): OtlpFormat | null {
  if (contentType === undefined) return null;
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  if (mediaType !== 'application/json') return null;
  const charset = parameters.find((parameter) => parameter.startsWith('charset='));
  return charset === undefined || /^charset="?utf-8"?$/.test(charset) ? 'json' : null;
}

function encodingOf(contentEncoding: string | undefined): ContentEncoding | null {
  const value = (contentEncoding ?? 'identity').trim().toLowerCase();
  return value === 'identity' || value === '' ? 'identity' : value === 'gzip' ? 'gzip' : null;
}

function contentLengthOf(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const length = Number(header);
  return Number.isSafeInteger(length) && length >= 0 ? length : undefined;
}

/** Retry-After is whole seconds; a wait under a second still says 1, since 0 would mean "at once". */
function retryAfterSeconds(ms: number): string {
  return String(Math.max(1, Math.ceil(ms / 1000)));
}

interface Reply {
  statusCode: number;
  status: RpcStatus;
  /** The rest of the request body may be unread: close the connection after the reply. */
  close?: boolean;
}

class OtlpHttpHandler {
  private readonly token: BearerToken;

  constructor(
    private readonly ingest: OtlpIngest,
    private readonly counters: OtlpCounters,
    private readonly options: OtlpServerOptions,
    private readonly logger: (event: Record<string, unknown>) => void,
  ) {
    this.token = new BearerToken(options.token);
  }

  async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    this.counters.requests++;
    const format = formatOf(request.headers['content-type']);
    const refusal = this.checkHeaders(request, format);
    if (refusal !== null) {
      this.sendError(response, format, refusal);
      return;
    }
    let body: Buffer;
    try {
      body = await readRequestBody(request, encodingOf(request.headers['content-encoding'])!, { bytesMax: this.options.requestBytesMax, name: 'otlpRequestBytesMax' }, contentLengthOf(request.headers['content-length']));
    } catch (error) {
      this.bodyFailed(response, format!, error);
      return;
    }
    const outcome = await this.ingest.ingest(body, format!, () => request.socket.destroyed);
    this.answer(response, format!, outcome);
  }

  /** Everything decided from the request line and headers, before a byte of the body is read. */
  private checkHeaders(request: http.IncomingMessage, format: OtlpFormat | null): Reply | null {
    const path = (request.url ?? '').split('?', 1)[0];
    if (path !== OTLP_HTTP_TRACES_PATH) return { statusCode: 404, status: { code: 5, message: `path got ${path}; want ${OTLP_HTTP_TRACES_PATH}` }, close: true };
    if (request.method !== 'POST') return { statusCode: 405, status: { code: 12, message: `method got ${request.method}; want POST` }, close: true };
    if (!this.token.allows(request.headers.authorization)) {
      return { statusCode: 401, status: { code: GrpcCode.UNAUTHENTICATED, message: 'wrong or missing token; want Authorization: Bearer <TRACEKV_TOKEN>' }, close: true };
    }
    if (format === null) {
      const got = request.headers['content-type'] ?? 'none';
      return { statusCode: 415, status: { code: GrpcCode.INVALID_ARGUMENT, message: `Content-Type got ${got}; want application/x-protobuf or application/json` }, close: true };
    }
    if (encodingOf(request.headers['content-encoding']) === null) {
      return { statusCode: 415, status: { code: GrpcCode.INVALID_ARGUMENT, message: `Content-Encoding got ${request.headers['content-encoding']}; want gzip or identity` }, close: true };
    }
    return null;
  }

  private bodyFailed(response: http.ServerResponse, format: OtlpFormat, error: unknown): void {
    if (error instanceof TraceKvError && error.code === 'ERR_CONNECTION') {
      this.counters.countError('aborted');
      response.destroy();
      return;
    }
    if (error instanceof TraceKvError && error.code === 'ERR_REQUEST_TOO_LARGE') {
      this.sendError(response, format, { statusCode: 413, status: { code: GrpcCode.RESOURCE_EXHAUSTED, message: error.message }, close: true });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.sendError(response, format, { statusCode: 400, status: { code: GrpcCode.INVALID_ARGUMENT, message }, close: true });
  }

  private answer(response: http.ServerResponse, format: OtlpFormat, outcome: IngestOutcome): void {
    switch (outcome.status) {
      case 'ok': {
        const body = format === 'protobuf' ? encodeExportResponseProtobuf(outcome) : encodeExportResponseJson(outcome);
        this.send(response, 200, format, body, {});
        return;
      }
      case 'busy':
        this.sendError(response, format, { statusCode: 429, status: { code: GrpcCode.RESOURCE_EXHAUSTED, message: outcome.message, retryAfterMs: outcome.retryAfterMs } });
        return;
      case 'unavailable':
        this.sendError(response, format, { statusCode: 503, status: { code: GrpcCode.UNAVAILABLE, message: outcome.message, retryAfterMs: outcome.retryAfterMs } });
        return;
      case 'invalid':
        this.sendError(response, format, { statusCode: 400, status: { code: GrpcCode.INVALID_ARGUMENT, message: outcome.message } });
        return;
      case 'expired':
        // The client has gone; this reply is for the log and the counters.
        this.sendError(response, format, { statusCode: 408, status: { code: GrpcCode.DEADLINE_EXCEEDED, message: outcome.message }, close: true });
        return;
      case 'internal':
        this.sendError(response, format, { statusCode: 500, status: { code: GrpcCode.INTERNAL, message: outcome.message } });
        return;
    }
  }

  /** An error reply: a google.rpc.Status in the request's format (plain text when the format is unknown). */
  private sendError(response: http.ServerResponse, format: OtlpFormat | null, reply: Reply): void {
    this.counters.countError(String(reply.statusCode));
    const headers: http.OutgoingHttpHeaders = {};
    if (reply.status.retryAfterMs !== undefined) headers['retry-after'] = retryAfterSeconds(reply.status.retryAfterMs);
    if (reply.statusCode === 405) headers.allow = 'POST';
    if (reply.statusCode === 401) headers['www-authenticate'] = 'Bearer';
    if (reply.close === true) headers.connection = 'close';
    const body = format === 'protobuf' ? encodeRpcStatusProtobuf(reply.status) : format === 'json' ? encodeRpcStatusJson(reply.status) : Buffer.from(`${reply.status.message}\n`);
    this.send(response, reply.statusCode, format, body, headers);
  }

  private send(response: http.ServerResponse, statusCode: number, format: OtlpFormat | null, body: Buffer, headers: http.OutgoingHttpHeaders): void {
    if (response.destroyed || response.headersSent) return;
    response.writeHead(statusCode, {
      ...headers,
      'content-type': format === null ? 'text/plain; charset=utf-8' : CONTENT_TYPES[format],
      'content-length': body.length,
    });
    response.end(body);
  }

  /** Whatever escaped the handler is a bug: logged, answered 500, and the server stays up. */
  onUnexpected(response: http.ServerResponse, error: unknown): void {
    this.logger({ event: 'otlp_internal_error', face: 'otlpHttp', error: String(error) });
    this.sendError(response, null, { statusCode: 500, status: { code: GrpcCode.INTERNAL, message: `internal error: ${String(error)}` }, close: true });
  }
}

export async function startOtlpHttp(
  ingest: OtlpIngest,
  counters: OtlpCounters,
  options: OtlpServerOptions,
  logger: (event: Record<string, unknown>) => void,
): Promise<OtlpServer> {
  const handler = new OtlpHttpHandler(ingest, counters, options, logger);
  const listener = await listenHttp(
    { ...options, headersTimeoutMs: OTLP_HTTP_HEADERS_TIMEOUT_MS, requestTimeoutMs: OTLP_HTTP_REQUEST_TIMEOUT_MS, face: 'OTLP/HTTP' },
    (request, response) => {
      handler.handle(request, response).catch((error: unknown) => handler.onUnexpected(response, error));
    },
    logger,
  );
  return { port: listener.port, close: () => listener.close(() => ingest.close()) };
}
