/**
 * The tracekv daemon: a TraceStore behind a TCP (or TLS) listener speaking data-format.md §6, and
 * the OTLP/HTTP and OTLP/gRPC receivers (§7, src/receiver/) on their own ports, sharing its store,
 * token, TLS and in-flight budget. `close()` is the graceful shutdown of SIGTERM: stop accepting
 * (the OTLP receivers first), let in-flight requests (appends above all) finish and be
 * acknowledged, then close the store, which syncs and seals the index.
 */
import net from 'node:net';
import tls from 'node:tls';
import { BATCH_BYTES_MAX_DEFAULT, BATCH_SPANS_MAX_DEFAULT, REQUEST_TRACES_MAX_DEFAULT } from '../constants.js';
import { TraceKvError, ioError } from '../errors.js';
import { Opcode, encodeFrame } from '../protocol/frame.js';
import type { EmbeddedTraceStoreApi, RecoveryReport } from '../api/index.js';
import type { LatencyObserver } from '../options.js';
// The composition root: the one place the daemon names the store implementation, to open it.
import { TraceStore } from '../store/trace-store.js';
import { OtlpIngest, TranscodePool, startOtlpGrpc, startOtlpHttp, type IngestContext, type OtlpServer, type OtlpServerOptions } from '../receiver/index.js';
import { startQueryServer, type LookupObserver, type QueryFace, type QueryServer } from '../query/index.js';
import { Connection, type ConnectionContext } from './connection.js';
import { resolveDaemonOptions, type DaemonOptions, type ResolvedDaemonOptions } from './daemon-options.js';
import { InFlightBudget } from './in-flight-budget.js';
import { createPrometheus, type DaemonPrometheus } from './prometheus.js';
import { DaemonMetrics } from './metrics.js';

export interface Daemon {
  readonly host: string;
  readonly port: number;
  /** Where the OTLP receivers listen; null when `otlp` is false. */
  readonly otlpHttpPort: number | null;
  readonly otlpGrpcPort: number | null;
  /** Where the query server listens (data-format.md §8); null when `query` is false. */
  readonly queryPort: number | null;
  /** Where Jaeger's query API listens (§8.5); null when `jaeger` is false. */
  readonly jaegerPort: number | null;
  readonly store: EmbeddedTraceStoreApi;
  readonly metrics: DaemonMetrics;
  /** Graceful: stop accepting, finish in-flight requests, close the store. Idempotent. */
  close(): Promise<void>;
}

/** What ERR_BUSY tells a client refused for maxConnections to wait: connections come and go slower than requests. */
const CONNECTION_REFUSED_RETRY_AFTER_MS = 1_000;

/**
 * Answers a connection past maxConnections with ERR_BUSY and closes it. The socket is still the
 * daemon's to clean up (found by the protocol fuzz): without an 'error' listener, a client that
 * reset it crashed the daemon with ECONNRESET; unread, a reset went unnoticed and the socket stayed
 * open for good. So errors are dropped, whatever the client sends is read and discarded (its FIN or
 * RST then closes the socket), and a client that never hangs up is cut off after writeDeadlineMs.
 */
function refuse(socket: net.Socket, options: ResolvedDaemonOptions): void {
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(), options.writeDeadlineMs).unref();
  socket.once('close', () => clearTimeout(timer));
  socket.resume();
  socket.end(encodeFrame(Opcode.ERROR, 0, 0, { code: 'ERR_BUSY', message: `maxConnections (${options.maxConnections}) reached`, retryAfterMs: CONNECTION_REFUSED_RETRY_AFTER_MS }));
}

export async function startDaemon(input: DaemonOptions = {}): Promise<Daemon> {
  const options = resolveDaemonOptions(input);
  const prometheus = createPrometheus();
  const given = options.store.latencyObserver;
  const latencyObserver: LatencyObserver = given === undefined ? prometheus.latencyObserver : (what, seconds) => (prometheus.latencyObserver(what, seconds), given(what, seconds));
  const store = await TraceStore.open({ ...options.store, dir: options.dir, latencyObserver });
  try {
    return await listen(options, store, prometheus);
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * The context every connection of a daemon shares: its store, options, metrics and in-flight
 * budget. Exported so the in-process protocol fuzz serves connections exactly as the daemon does,
 * rather than a copy that can drift from it. `appends` holds the appends not yet acknowledged,
 * which a graceful close waits for. `lookupObserver` times the TCP reads into the lookup metrics
 * (§8.6); without one nothing is timed.
 */
export function createConnectionContext(
  store: EmbeddedTraceStoreApi,
  options: ResolvedDaemonOptions,
  metrics: DaemonMetrics,
  lookupObserver?: LookupObserver,
): { context: ConnectionContext; appends: Set<Promise<unknown>> } {
  const appends = new Set<Promise<unknown>>();
  const context: ConnectionContext = {
    store,
    options,
    metrics,
    requestTracesMax: options.store.requestTracesMax ?? REQUEST_TRACES_MAX_DEFAULT,
    budget: new InFlightBudget(options.inFlightBytesMax, metrics),
    lookupObserver,
    trackAppend(done: Promise<unknown>): void {
      appends.add(done);
      void done.finally(() => appends.delete(done));
    },
  };
  return { context, appends };
}

/** The OTLP receivers, started on the daemon's host with its token, TLS and budget; none when `otlp` is false. */
async function startReceivers(options: ResolvedDaemonOptions, context: ConnectionContext): Promise<Receivers> {
  if (!options.otlp) return { http: null, grpc: null, transcoder: null };
  // The store's own batch limits, so that every batch the transcoder cuts is appendable.
  const limits = {
    batchBytesMax: options.store.batchBytesMax ?? BATCH_BYTES_MAX_DEFAULT,
    batchSpansMax: options.store.batchSpansMax ?? BATCH_SPANS_MAX_DEFAULT,
  };
  const transcoder = new TranscodePool(limits, options.otlpTranscodeThreads);
  const ingestContext: IngestContext = {
    append: (batch) => context.store.append(batch),
    budget: context.budget,
    transcoder,
    trackAppend: (done) => context.trackAppend(done),
    logger: options.logger,
  };
  const serverOptions = (port: number): OtlpServerOptions => ({
    host: options.host,
    port,
    token: options.token,
    tls: options.tls,
    requestBytesMax: options.otlpRequestBytesMax,
    idleTimeoutMs: options.idleTimeoutMs,
    maxConnections: options.maxConnections,
    closeGraceMs: options.writeDeadlineMs,
  });
  const { metrics } = context;
  let http: OtlpServer | null = null;
  try {
    http = await startOtlpHttp(new OtlpIngest(ingestContext, 'otlpHttp', metrics.otlpHttp), metrics.otlpHttp, serverOptions(options.otlpHttpPort), options.logger);
    const grpc = await startOtlpGrpc(new OtlpIngest(ingestContext, 'otlpGrpc', metrics.otlpGrpc), metrics.otlpGrpc, serverOptions(options.otlpGrpcPort));
    return { http, grpc, transcoder };
  } catch (error) {
    await http?.close();
    await transcoder.close();
    throw error;
  }
}

interface Receivers {
  http: OtlpServer | null;
  grpc: OtlpServer | null;
  transcoder: TranscodePool | null;
}

async function listen(options: ResolvedDaemonOptions, store: EmbeddedTraceStoreApi, prometheus: DaemonPrometheus): Promise<Daemon> {
  const metrics = new DaemonMetrics();
  prometheus.attach(store, metrics);
  const connections = new Set<Connection>();
  const { context, appends } = createConnectionContext(store, options, metrics, prometheus.lookupObserver);
  const onSocket = (socket: net.Socket) => {
    if (connections.size >= options.maxConnections) {
      metrics.connectionsRefused++;
      metrics.countError('ERR_BUSY');
      refuse(socket, options);
      return;
    }
    metrics.connections++;
    metrics.connectionsTotal++;
    const connection = new Connection(socket, context, () => {
      connections.delete(connection);
      metrics.connections--;
    });
    connections.add(connection);
  };
  const server =
    options.tls === undefined
      ? net.createServer(onSocket)
      : tls.createServer({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' }, onSocket);
  // A client that fails the TLS handshake is its own problem, not the daemon's.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(ioError(`${options.host}:${options.port}`, 'listen', error)));
    server.listen(options.port, options.host, () => resolve());
  });
  let receivers: Awaited<ReturnType<typeof startReceivers>>;
  try {
    receivers = await startReceivers(options, context);
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  let query: QueryServer | null = null;
  let jaeger: QueryServer | null = null;
  try {
    const { host, token, tls, idleTimeoutMs, maxConnections } = options;
    const requestTracesMax = options.store.requestTracesMax ?? REQUEST_TRACES_MAX_DEFAULT;
    const queryOptions = (face: QueryFace, port: number) => ({
      host,
      port,
      token,
      tls,
      idleTimeoutMs,
      maxConnections,
      closeGraceMs: options.writeDeadlineMs,
      requestTracesMax,
      face,
      lookupObserver: prometheus.lookupObserver,
      metrics: () => prometheus.render(),
    });
    if (options.query) query = await startQueryServer(store, queryOptions('tempo', options.queryPort), options.logger);
    if (options.jaeger) jaeger = await startQueryServer(store, queryOptions('jaeger', options.jaegerPort), options.logger);
  } catch (error) {
    await Promise.allSettled([receivers.http?.close(), receivers.grpc?.close(), query?.close()]);
    await receivers.transcoder?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  const queryPort = query?.port ?? null;
  const jaegerPort = jaeger?.port ?? null;
  server.on('error', (error) => options.logger({ event: 'server_error', error: String(error) }));
  const address = server.address() as net.AddressInfo;
  const otlpHttpPort = receivers.http?.port ?? null;
  const otlpGrpcPort = receivers.grpc?.port ?? null;
  // One event once everything listens, so a reader waiting for it can send on every face at once.
  options.logger({
    event: 'listening',
    host: address.address,
    port: address.port,
    otlpHttpPort,
    otlpGrpcPort,
    queryPort,
    jaegerPort,
    dir: options.dir,
    tls: options.tls !== undefined,
    auth: options.token !== undefined,
    recovery: store.stats().recovery satisfies RecoveryReport,
  });
  let closing: Promise<void> | null = null;
  return {
    host: address.address,
    port: address.port,
    otlpHttpPort,
    otlpGrpcPort,
    queryPort,
    jaegerPort,
    store,
    metrics,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const connection of connections) connection.shutdown();
        // The receivers answer what they hold (their appends are in `appends` too) and stop first,
        // with the query server, whose reads need the store open.
        await Promise.allSettled([receivers.http?.close(), receivers.grpc?.close(), query?.close(), jaeger?.close()]);
        await receivers.transcoder?.close();
        await Promise.allSettled([...appends]);
        await store.close();
        await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, options.writeDeadlineMs).unref())]);
        options.logger({ event: 'stopped', appendsPending: appends.size });
      })();
      return closing;
    },
  };
}

export { TraceKvError };
/** What the in-flight budget charges a request beyond its payload (data-format.md §6.3). */
export { REQUEST_OVERHEAD_BYTES } from '../constants.js';
