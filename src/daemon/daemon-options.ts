/**
 * Daemon options: one defaults table, validation that names the option, and the rule that a
 * non-loopback address needs a token (or an explicit `insecure`). The OTLP receivers listen on the
 * same host, with the same token and TLS, so that rule covers them too.
 *
 * OTLP ports: an OTLP port left unset follows `port: 0` (any free port) when the daemon's own port
 * is 0, and is its OTLP default (4318, 4317) otherwise. So every test and tool that starts daemons
 * on port 0, several at once, never collides on 4317/4318, and `tracekv serve` listens where
 * SDKs send by default.
 */
import net from 'node:net';
import {
  AUTH_DEADLINE_MS_DEFAULT,
  CONNECTIONS_MAX_DEFAULT,
  CONNECTION_IN_FLIGHT_REQUESTS_MAX_DEFAULT,
  DAEMON_DIR_DEFAULT,
  DAEMON_HOST_DEFAULT,
  DAEMON_PORT_DEFAULT,
  FRAME_BYTES_LIMIT,
  FRAME_BYTES_MAX_DEFAULT,
  FRAME_DEADLINE_MS_DEFAULT,
  FRAME_LENGTH_MIN,
  IDLE_TIMEOUT_MS_DEFAULT,
  IN_FLIGHT_BYTES_MAX_DEFAULT,
  OTLP_GRPC_PORT_DEFAULT,
  OTLP_HTTP_PORT_DEFAULT,
  QUERY_PORT_DEFAULT,
  JAEGER_PORT_DEFAULT,
  OTLP_REQUEST_BYTES_LIMIT,
  OTLP_TRANSCODE_THREADS_LIMIT,
  OTLP_REQUEST_BYTES_MAX_DEFAULT,
  PENDING_OUTPUT_BYTES_MAX_DEFAULT,
  WRITE_DEADLINE_MS_DEFAULT,
} from '../constants.js';
import { invalidOption } from '../errors.js';
import { checkKnownOptions, knownKeys } from '../known-keys.js';
import type { Logger, TraceStoreOptions } from '../options.js';

export interface DaemonTlsOptions {
  /** PEM certificate chain. */
  cert: string | Buffer;
  /** PEM private key. */
  key: string | Buffer;
}

export interface DaemonOptions {
  dir?: string;
  host?: string;
  /** 0 lets the OS choose (tests). */
  port?: number;
  /** When set, every connection must send HELLO with this token first. */
  token?: string;
  tls?: DaemonTlsOptions;
  /** Allow a non-loopback address without a token. */
  insecure?: boolean;
  /** Options of the TraceStore the daemon opens (dir comes from `dir`). */
  store?: Omit<TraceStoreOptions, 'dir'>;
  frameBytesMax?: number;
  inFlightRequestsMax?: number;
  inFlightBytesMax?: number;
  maxConnections?: number;
  authDeadlineMs?: number;
  /** A frame must be complete this long after its first byte (data-format.md §6.1). */
  frameDeadlineMs?: number;
  idleTimeoutMs?: number;
  writeDeadlineMs?: number;
  pendingOutputBytesMax?: number;
  /** Serve the OTLP/HTTP and OTLP/gRPC receivers (data-format.md §7). */
  otlp?: boolean;
  /** OTLP/HTTP port; 0 lets the OS choose. Unset: 4318, or 0 when `port` is 0. */
  otlpHttpPort?: number;
  /** OTLP/gRPC port; 0 lets the OS choose. Unset: 4317, or 0 when `port` is 0. */
  otlpGrpcPort?: number;
  /** Largest OTLP request body, on the wire and after gunzip. */
  otlpRequestBytesMax?: number;
  /** Worker threads that transcode OTLP requests; 0 (the default) transcodes on the daemon's thread. */
  otlpTranscodeThreads?: number;
  /** Serve the HTTP query server (data-format.md §8). */
  query?: boolean;
  /** Query server port; 0 lets the OS choose. Unset: 3200, or 0 when `port` is 0. */
  queryPort?: number;
  /** Serve Jaeger's query API by id (data-format.md §8.5). */
  jaeger?: boolean;
  /** Jaeger API port; 0 lets the OS choose. Unset: 16686, or 0 when `port` is 0. */
  jaegerPort?: number;
  logger?: Logger;
}

export type ResolvedDaemonOptions = Required<Omit<DaemonOptions, 'token' | 'tls'>> & Pick<DaemonOptions, 'token' | 'tls'>;

export const DAEMON_DEFAULTS: Omit<ResolvedDaemonOptions, 'token' | 'tls'> = {
  dir: DAEMON_DIR_DEFAULT,
  host: DAEMON_HOST_DEFAULT,
  port: DAEMON_PORT_DEFAULT,
  insecure: false,
  store: {},
  frameBytesMax: FRAME_BYTES_MAX_DEFAULT,
  inFlightRequestsMax: CONNECTION_IN_FLIGHT_REQUESTS_MAX_DEFAULT,
  inFlightBytesMax: IN_FLIGHT_BYTES_MAX_DEFAULT,
  maxConnections: CONNECTIONS_MAX_DEFAULT,
  authDeadlineMs: AUTH_DEADLINE_MS_DEFAULT,
  frameDeadlineMs: FRAME_DEADLINE_MS_DEFAULT,
  idleTimeoutMs: IDLE_TIMEOUT_MS_DEFAULT,
  writeDeadlineMs: WRITE_DEADLINE_MS_DEFAULT,
  pendingOutputBytesMax: PENDING_OUTPUT_BYTES_MAX_DEFAULT,
  otlp: true,
  otlpHttpPort: OTLP_HTTP_PORT_DEFAULT,
  otlpGrpcPort: OTLP_GRPC_PORT_DEFAULT,
  otlpRequestBytesMax: OTLP_REQUEST_BYTES_MAX_DEFAULT,
  // Inline by default: on 2 cores a transcoding thread made OTLP/HTTP ingest slower (about 180k
  // spans/s against 270k–360k inline, scripts/bench/otlp-ingest.ts): cloning bodies and batches
  // across threads cost more than the second core gave, with zstd already on the threadpool.
  otlpTranscodeThreads: 0,
  query: true,
  queryPort: QUERY_PORT_DEFAULT,
  jaeger: true,
  jaegerPort: JAEGER_PORT_DEFAULT,
  logger: (event) => process.stdout.write(`${JSON.stringify(event)}\n`),
};

const KNOWN = knownKeys('startDaemon', [...Object.keys(DAEMON_DEFAULTS), 'token', 'tls'], { aliases: { storeOptions: 'store' } });

function integerIn(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `got ${String(value)}; want an integer from ${min} to ${max}`);
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  if (net.isIPv6(host)) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

function checkFaces(merged: ResolvedDaemonOptions): void {
  if (typeof merged.otlp !== 'boolean') throw invalidOption('otlp', `got ${String(merged.otlp)}; want true or false`);
  if (typeof merged.query !== 'boolean') throw invalidOption('query', `got ${String(merged.query)}; want true or false`);
  if (typeof merged.jaeger !== 'boolean') throw invalidOption('jaeger', `got ${String(merged.jaeger)}; want true or false`);
  integerIn('otlpHttpPort', merged.otlpHttpPort, 0, 65_535);
  integerIn('otlpGrpcPort', merged.otlpGrpcPort, 0, 65_535);
  integerIn('queryPort', merged.queryPort, 0, 65_535);
  integerIn('jaegerPort', merged.jaegerPort, 0, 65_535);
  integerIn('otlpRequestBytesMax', merged.otlpRequestBytesMax, 1, OTLP_REQUEST_BYTES_LIMIT);
  integerIn('otlpTranscodeThreads', merged.otlpTranscodeThreads, 0, OTLP_TRANSCODE_THREADS_LIMIT);
  // Two listeners on one port: the second would fail with EADDRINUSE, after the store had opened.
  const ports: [string, number][] = [['port', merged.port]];
  if (merged.otlp) ports.push(['otlpHttpPort', merged.otlpHttpPort], ['otlpGrpcPort', merged.otlpGrpcPort]);
  if (merged.query) ports.push(['queryPort', merged.queryPort]);
  if (merged.jaeger) ports.push(['jaegerPort', merged.jaegerPort]);
  for (const [i, [name, port]] of ports.entries()) {
    const clash = ports.slice(0, i).find(([, other]) => other === port && port !== 0);
    if (clash !== undefined) throw invalidOption(name, `got ${port}, the same as ${clash[0]}; want a port of its own (or 0)`);
  }
}

export function resolveDaemonOptions(input: DaemonOptions): ResolvedDaemonOptions {
  if (input === null || typeof input !== 'object') throw invalidOption('options', 'want an object such as { dir, port }');
  checkKnownOptions(input, KNOWN);
  const merged = { ...DAEMON_DEFAULTS } as ResolvedDaemonOptions;
  for (const [key, value] of Object.entries(input)) if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  if (merged.port === 0 && input.otlpHttpPort === undefined) merged.otlpHttpPort = 0;
  if (merged.port === 0 && input.otlpGrpcPort === undefined) merged.otlpGrpcPort = 0;
  if (merged.port === 0 && input.queryPort === undefined) merged.queryPort = 0;
  if (merged.port === 0 && input.jaegerPort === undefined) merged.jaegerPort = 0;
  if (typeof merged.dir !== 'string' || merged.dir === '') throw invalidOption('dir', 'want a non-empty path');
  if (typeof merged.host !== 'string' || merged.host === '') throw invalidOption('host', 'want a host name or address');
  integerIn('port', merged.port, 0, 65_535);
  if (merged.token !== undefined && (typeof merged.token !== 'string' || merged.token.length === 0)) {
    throw invalidOption('token', 'want a non-empty string');
  }
  if (merged.tls !== undefined && (merged.tls.cert === undefined || merged.tls.key === undefined)) {
    throw invalidOption('tls', 'want both cert and key');
  }
  integerIn('frameBytesMax', merged.frameBytesMax, FRAME_LENGTH_MIN + 4, FRAME_BYTES_LIMIT);
  integerIn('inFlightRequestsMax', merged.inFlightRequestsMax, 1, 65_536);
  integerIn('inFlightBytesMax', merged.inFlightBytesMax, 1, Number.MAX_SAFE_INTEGER);
  integerIn('maxConnections', merged.maxConnections, 1, 1_000_000);
  integerIn('authDeadlineMs', merged.authDeadlineMs, 1, 3_600_000);
  integerIn('frameDeadlineMs', merged.frameDeadlineMs, 1, 3_600_000);
  integerIn('idleTimeoutMs', merged.idleTimeoutMs, 1, 24 * 3_600_000);
  integerIn('writeDeadlineMs', merged.writeDeadlineMs, 1, 3_600_000);
  integerIn('pendingOutputBytesMax', merged.pendingOutputBytesMax, 1, Number.MAX_SAFE_INTEGER);
  checkFaces(merged);
  if (!isLoopback(merged.host) && merged.token === undefined && merged.insecure !== true) {
    throw invalidOption('host', `${merged.host} is not a loopback address; set a token (TRACEKV_TOKEN) or pass --insecure explicitly`);
  }
  return merged;
}
