/**
 * The daemon's HTTP listeners (the OTLP/HTTP receiver and the query server): node:http, or
 * node:https with the daemon's certificate, bound like the daemon, with its connection limit and
 * idle timeout, and one graceful close. A client that fails the TLS handshake or sends a request
 * node:http cannot parse is answered 400 (or cut) and is no concern of the daemon's.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { ioError } from '../errors.js';

export interface HttpListenerOptions {
  host: string;
  port: number;
  tls: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** A keep-alive connection idle this long is closed. */
  idleTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  /** Connections open at once; more are refused by the OS accept path (Node closes them). */
  maxConnections: number;
  /** How long a graceful close waits for open connections before cutting them. */
  closeGraceMs: number;
  /** Names the face in listen errors and logs, e.g. "OTLP/HTTP". */
  face: string;
}

export interface HttpListener {
  readonly port: number;
  /**
   * Stops accepting, closes idle connections, waits for `drain` (the face's requests in flight),
   * then for open connections to end, at most closeGraceMs, and cuts the rest. Idempotent.
   */
  close(drain?: () => Promise<void>): Promise<void>;
}

export type RequestHandler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

export async function listenHttp(options: HttpListenerOptions, onRequest: RequestHandler, logger: (event: Record<string, unknown>) => void): Promise<HttpListener> {
  const serverOptions: http.ServerOptions = {
    headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.idleTimeoutMs,
  };
  const server =
    options.tls === undefined
      ? http.createServer(serverOptions, onRequest)
      : https.createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, onRequest);
  server.maxConnections = options.maxConnections;
  server.on('tlsClientError', () => {});
  server.on('clientError', (_error: Error, socket: net.Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(ioError(`${options.host}:${options.port}`, `listen (${options.face})`, error)));
    server.listen(options.port, options.host, () => resolve());
  });
  server.on('error', (error) => logger({ event: 'server_error', face: options.face, error: String(error) }));
  const port = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | null = null;
  return {
    port,
    close(drain) {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await drain?.();
        server.closeIdleConnections();
        const grace = new Promise<void>((resolve) => setTimeout(resolve, options.closeGraceMs).unref());
        await Promise.race([stopped, grace]);
        server.closeAllConnections();
      })();
      return closing;
    },
  };
}
