/**
 * Daemon options: one defaults table, validation that names the option, and the rule that a
 * non-loopback address needs a token (or an explicit `insecure`).
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

export function resolveDaemonOptions(input: DaemonOptions): ResolvedDaemonOptions {
  if (input === null || typeof input !== 'object') throw invalidOption('options', 'want an object such as { dir, port }');
  checkKnownOptions(input, KNOWN);
  const merged = { ...DAEMON_DEFAULTS } as ResolvedDaemonOptions;
  for (const [key, value] of Object.entries(input)) if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
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
  if (!isLoopback(merged.host) && merged.token === undefined && merged.insecure !== true) {
    throw invalidOption('host', `${merged.host} is not a loopback address; set a token (TRACEKV_TOKEN) or pass --insecure explicitly`);
  }
  return merged;
}
