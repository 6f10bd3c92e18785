/**
 * Options of TraceKvSpanExporter and TraceKvSpanProcessor: one defaults table, validation whose
 * messages name the option (ERR_INVALID_OPTION, thrown by the constructor: that is application
 * setup, not the SDK's export path), and the split between our options and the TraceClient's.
 */
import { BATCH_BYTES_LIMIT, BATCH_BYTES_MIN, BATCH_SPANS_LIMIT } from '../constants.js';
import { invalidOption } from '../errors.js';
import { checkKnownOptions, knownKeys } from '../known-keys.js';
import { type TraceClientOptions, resolveClientOptions } from '../client/client-options.js';
import type { TraceClient } from '../client/index.js';

/**
 * Largest batch the exporter builds, in bytes: ~4,000 W1-shaped spans, large enough that the
 * daemon's per-append cost is shared by thousands of spans, small enough that a batch ships well
 * within one linger period on a busy service and each open batch holds at most 1 MiB.
 */
export const OTEL_BATCH_BYTES_MAX_DEFAULT = 1024 * 1024;
/** Most spans per batch: the format allows 65,535; batches this full are already byte-bound for typical spans. */
export const OTEL_BATCH_SPANS_MAX_DEFAULT = 16_384;
/**
 * Batches sent and not yet acknowledged. An export() of spans from several resources and scopes
 * seals one batch per group at once (10 for the benchmark's W1 spans), and they are in memory
 * whether queued or sent: sending them all lets one group commit (one fsync) cover them, where
 * waiting for acknowledgements 4 at a time cost three fsync round trips per export and ~30% more
 * CPU per span (each wake-up has its price). 16 is the benchmark's appends in flight, and a
 * quarter of the daemon's per-connection limit (64), so the client never waits on it; at the
 * default batchBytesMax it holds at most 16 MiB unacknowledged.
 */
export const OTEL_BATCHES_IN_FLIGHT_MAX_DEFAULT = 16;
export const OTEL_BATCHES_IN_FLIGHT_LIMIT = 64;
/** How long the processor lets an open batch wait for more spans before it ships it: the longest
 * an ended span waits to be sent on a quiet service (BatchSpanProcessor's default is 5 s). */
export const OTEL_LINGER_MS_DEFAULT = 200;
export const OTEL_LINGER_MS_LIMIT = 60_000;
/**
 * Spans the processor holds unsent (open batches and batches waiting for a slot) before it
 * drops new ones and counts them: BatchSpanProcessor's maxQueueSize, larger since a serialized
 * span costs ~250 bytes rather than an object graph: 65,536 spans hold ~16 MB at most.
 */
export const OTEL_QUEUE_SPANS_MAX_DEFAULT = 65_536;
export const OTEL_QUEUE_SPANS_LIMIT = 16 * 1024 * 1024;

export interface TraceKvExporterOptions extends Partial<TraceClientOptions> {
  /** An open client to ship batches with; never closed by us. Otherwise `port` (and host, token, tls, …) open one. */
  client?: TraceClient;
  /** Largest batch, in bytes. Default OTEL_BATCH_BYTES_MAX_DEFAULT (1 MiB). */
  batchBytesMax?: number;
  /** Most spans per batch. Default OTEL_BATCH_SPANS_MAX_DEFAULT. */
  batchSpansMax?: number;
  /** Batches sent and not yet acknowledged at once. Default OTEL_BATCHES_IN_FLIGHT_MAX_DEFAULT. */
  batchesInFlightMax?: number;
}

export interface TraceKvProcessorOptions extends TraceKvExporterOptions {
  /** The longest an open batch waits for more spans before it is shipped. Default OTEL_LINGER_MS_DEFAULT. */
  lingerMs?: number;
  /** Unsent spans held before new ones are dropped (and counted). Default OTEL_QUEUE_SPANS_MAX_DEFAULT. */
  queueSpansMax?: number;
}

export interface ResolvedOtelOptions {
  source: { client: TraceClient } | { connect: TraceClientOptions };
  batchBytesMax: number;
  batchSpansMax: number;
  batchesInFlightMax: number;
  lingerMs: number;
  queueSpansMax: number;
}

const OWN_DEFAULTS = {
  batchBytesMax: OTEL_BATCH_BYTES_MAX_DEFAULT,
  batchSpansMax: OTEL_BATCH_SPANS_MAX_DEFAULT,
  batchesInFlightMax: OTEL_BATCHES_IN_FLIGHT_MAX_DEFAULT,
  lingerMs: OTEL_LINGER_MS_DEFAULT,
  queueSpansMax: OTEL_QUEUE_SPANS_MAX_DEFAULT,
} as const;
const EXPORTER_ONLY_KEYS = knownKeys('TraceKvSpanExporter', ['client', 'batchBytesMax', 'batchSpansMax', 'batchesInFlightMax']);

/** `processor` false: lingerMs and queueSpansMax are refused, as the exporter has no queue of its own. */
export function resolveOtelOptions(input: TraceKvProcessorOptions, processor: boolean): ResolvedOtelOptions {
  if (input === null || typeof input !== 'object') throw invalidOption('options', 'want an object with { port } or { client }');
  const { client, batchBytesMax, batchSpansMax, batchesInFlightMax, lingerMs, queueSpansMax, ...clientOptions } = input;
  if (!processor && (lingerMs !== undefined || queueSpansMax !== undefined)) {
    checkKnownOptions(lingerMs !== undefined ? { lingerMs } : { queueSpansMax }, EXPORTER_ONLY_KEYS);
  }
  let source: ResolvedOtelOptions['source'];
  if (client !== undefined) {
    if (typeof client !== 'object' || client === null || typeof (client as TraceClient).append !== 'function') {
      throw invalidOption('client', 'want a TraceClient (from TraceClient.connect)');
    }
    const extra = Object.keys(clientOptions)[0];
    if (extra !== undefined) throw invalidOption(extra, 'got it with `client`; want either an open client or the options to open one');
    source = { client };
  } else {
    // Validated now, so that a wrong option fails at setup rather than at the first export.
    resolveClientOptions(clientOptions as TraceClientOptions);
    source = { connect: clientOptions as TraceClientOptions };
  }
  return {
    source,
    batchBytesMax: integerIn('batchBytesMax', batchBytesMax ?? OWN_DEFAULTS.batchBytesMax, BATCH_BYTES_MIN, BATCH_BYTES_LIMIT),
    batchSpansMax: integerIn('batchSpansMax', batchSpansMax ?? OWN_DEFAULTS.batchSpansMax, 1, BATCH_SPANS_LIMIT),
    batchesInFlightMax: integerIn('batchesInFlightMax', batchesInFlightMax ?? OWN_DEFAULTS.batchesInFlightMax, 1, OTEL_BATCHES_IN_FLIGHT_LIMIT),
    lingerMs: integerIn('lingerMs', lingerMs ?? OWN_DEFAULTS.lingerMs, 1, OTEL_LINGER_MS_LIMIT),
    queueSpansMax: integerIn('queueSpansMax', queueSpansMax ?? OWN_DEFAULTS.queueSpansMax, 1, OTEL_QUEUE_SPANS_LIMIT),
  };
}

function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidOption(name, `got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}; want an integer from ${min} to ${max}`);
  }
  return value;
}
