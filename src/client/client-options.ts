/**
 * TraceClient options: one defaults table, and validation whose messages name the option.
 */
import type tls from 'node:tls';
import { FRAME_BYTES_LIMIT, FRAME_BYTES_MAX_DEFAULT } from '../constants.js';
import { invalidOption } from '../errors.js';
import { checkKnownOptions, knownKeys } from '../known-keys.js';
import {
  CLIENT_FRAME_BYTES_MIN,
  CONNECT_TIMEOUT_MS_DEFAULT,
  CLIENT_HOST_DEFAULT,
  REQUEST_TIMEOUT_MS_DEFAULT,
  RETRIES_LIMIT,
  RETRIES_MAX_DEFAULT,
  RETRY_BASE_MS_DEFAULT,
  RETRY_CAP_MS_DEFAULT,
  RETRY_DELAY_MS_LIMIT,
  TIMEOUT_MS_LIMIT,
} from '../constants.js';

export interface TraceClientOptions {
  /** Daemon address. Default '127.0.0.1'. */
  host?: string;
  port: number;
  /** Sent in HELLO; required when the daemon has one. */
  token?: string;
  /** true, or node:tls options (ca, cert, servername...), for TLS ≥ 1.2. Default: plain TCP. */
  tls?: boolean | tls.ConnectionOptions;
  /** Deadline of each call, covering queueing, reconnects and retries. Each call may pass its own. */
  timeoutMs?: number;
  /** Deadline of one connect: TCP, TLS handshake and HELLO. */
  connectTimeoutMs?: number;
  /** Attempts after the first, for reads after a connection failure and for any ERR_BUSY answer. */
  retriesMax?: number;
  /** First backoff ceiling; each retry doubles it (full jitter). */
  retryBaseMs?: number;
  /** Backoff ceiling never grows past this. */
  retryCapMs?: number;
  /** Largest frame accepted from the daemon. Frames sent are capped by the daemon's own, from HELLO. */
  frameBytesMax?: number;
}

export interface ResolvedClientOptions {
  host: string;
  port: number;
  token: string | undefined;
  /** null for plain TCP. */
  tls: tls.ConnectionOptions | null;
  timeoutMs: number;
  connectTimeoutMs: number;
  retriesMax: number;
  retryBaseMs: number;
  retryCapMs: number;
  frameBytesMax: number;
}

export const CLIENT_DEFAULTS = {
  host: CLIENT_HOST_DEFAULT,
  timeoutMs: REQUEST_TIMEOUT_MS_DEFAULT,
  connectTimeoutMs: CONNECT_TIMEOUT_MS_DEFAULT,
  retriesMax: RETRIES_MAX_DEFAULT,
  retryBaseMs: RETRY_BASE_MS_DEFAULT,
  retryCapMs: RETRY_CAP_MS_DEFAULT,
  frameBytesMax: FRAME_BYTES_MAX_DEFAULT,
} as const;

const KNOWN_OPTIONS = knownKeys(
  'TraceClient.connect',
  ['host', 'port', 'token', 'tls', ...Object.keys(CLIENT_DEFAULTS).filter((key) => key !== 'host')],
  { aliases: { hostname: 'host', address: 'host', maxRetries: 'retriesMax', retries: 'retriesMax' } },
);
const PORT_MAX = 65_535;
/** Protocols older than TLS 1.2 have known breaks; data-format.md §6 requires ≥ 1.2. */
const TLS_VERSIONS_ALLOWED = new Set<string>(['TLSv1.2', 'TLSv1.3']);

export function resolveClientOptions(input: TraceClientOptions): ResolvedClientOptions {
  if (input === null || typeof input !== 'object') throw invalidOption('options', 'want an object with at least { port }');
  checkKnownOptions(input, KNOWN_OPTIONS);
  const host = input.host ?? CLIENT_DEFAULTS.host;
  if (typeof host !== 'string' || host.length === 0) throw invalidOption('host', `got ${describe(host)}; want a non-empty host name or address`);
  if (input.token !== undefined && (typeof input.token !== 'string' || input.token.length === 0)) {
    throw invalidOption('token', `got ${describe(input.token)}; want a non-empty string`);
  }
  const retryBaseMs = numberIn('retryBaseMs', input.retryBaseMs ?? CLIENT_DEFAULTS.retryBaseMs, 0, RETRY_DELAY_MS_LIMIT);
  const retryCapMs = numberIn('retryCapMs', input.retryCapMs ?? CLIENT_DEFAULTS.retryCapMs, 0, RETRY_DELAY_MS_LIMIT);
  if (retryCapMs < retryBaseMs) throw invalidOption('retryCapMs', `got ${retryCapMs}; want ≥ retryBaseMs (${retryBaseMs})`);
  return {
    host,
    port: integerIn('port', input.port, 1, PORT_MAX),
    token: input.token,
    tls: tlsOptionsOf(input.tls),
    timeoutMs: numberIn('timeoutMs', input.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs, 1, TIMEOUT_MS_LIMIT),
    connectTimeoutMs: numberIn('connectTimeoutMs', input.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs, 1, TIMEOUT_MS_LIMIT),
    retriesMax: integerIn('retriesMax', input.retriesMax ?? CLIENT_DEFAULTS.retriesMax, 0, RETRIES_LIMIT),
    retryBaseMs,
    retryCapMs,
    frameBytesMax: integerIn('frameBytesMax', input.frameBytesMax ?? CLIENT_DEFAULTS.frameBytesMax, CLIENT_FRAME_BYTES_MIN, FRAME_BYTES_LIMIT),
  };
}

function tlsOptionsOf(value: unknown): tls.ConnectionOptions | null {
  if (value === undefined || value === false) return null;
  if (value === true) return {};
  if (typeof value !== 'object' || value === null) throw invalidOption('tls', `got ${describe(value)}; want a boolean or node:tls connection options`);
  const options = value as tls.ConnectionOptions;
  for (const name of ['minVersion', 'maxVersion'] as const) {
    const version = options[name];
    if (version !== undefined && !TLS_VERSIONS_ALLOWED.has(version)) {
      throw invalidOption('tls', `${name} got ${describe(version)}; want 'TLSv1.2' or 'TLSv1.3'`);
    }
  }
  return options;
}

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `got ${describe(value)}; want an integer from ${min} to ${max}`);
  }
  return value;
}

function numberIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidOption(name, `got ${describe(value)}; want a number from ${min} to ${max}`);
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
