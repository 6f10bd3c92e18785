/**
 * The daemon's `GET /metrics` (data-format.md §8.6), in Prometheus text format, with prom-client:
 * one registry per daemon (tests run several in a process). Counters the daemon already keeps
 * (its own, the OTLP faces', the store's stats()) are read at scrape time; the latencies are
 * histograms fed as they happen: appends and fdatasyncs by the store's latencyObserver, lookups by
 * the query servers and the TCP face's reads.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EmbeddedTraceStoreApi, StoreStats } from '../api/index.js';
import type { LatencyObserver } from '../options.js';
import type { LookupObserver } from '../query/index.js';
import type { DaemonMetrics } from './metrics.js';

/** Append latency buckets, seconds: group commit on an SSD is 1–10 ms; a slow disk or a roll takes longer. */
const APPEND_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Lookup latency buckets, seconds: trace-by-ID aims at ~1 ms, bulk reads take tens. */
const LOOKUP_SECONDS_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const MS_PER_SECOND = 1000;

export interface DaemonPrometheus {
  readonly registry: Registry;
  /** For TraceStore.open: appends and fdatasyncs into their histograms. */
  readonly latencyObserver: LatencyObserver;
  /** For the query servers and the TCP connections: each lookup into the lookup counter and histogram. */
  readonly lookupObserver: LookupObserver;
  /** Reads the store and the daemon's counters: set once both exist. */
  attach(store: EmbeddedTraceStoreApi, metrics: DaemonMetrics): void;
  render(): Promise<{ contentType: string; body: string }>;
}

export function createPrometheus(): DaemonPrometheus {
  const registry = new Registry();
  const registers = [registry];
  let attached: { store: EmbeddedTraceStoreApi; metrics: DaemonMetrics } | null = null;
  /** What the collectors read: the daemon's counters and one stats() of the store, taken once per scrape. */
  let source: { stats: StoreStats; metrics: DaemonMetrics } | null = null;

  const appendSeconds = new Histogram({ name: 'tracekv_append_duration_seconds', help: 'From append() to its acknowledgement (compression, write and fdatasync included).', buckets: APPEND_SECONDS_BUCKETS, registers });
  const fsyncSeconds = new Histogram({ name: 'tracekv_fsync_duration_seconds', help: 'One group commit fdatasync.', buckets: APPEND_SECONDS_BUCKETS, registers });
  const lookupSeconds = new Histogram({ name: 'tracekv_lookup_duration_seconds', help: 'Lookups on the query servers and TCP, from request to reply.', labelNames: ['endpoint'], buckets: LOOKUP_SECONDS_BUCKETS, registers });
  const lookups = new Counter({ name: 'tracekv_lookups_total', help: 'Lookups by endpoint and status: the HTTP status on the query servers; ok or the error code on TCP.', labelNames: ['endpoint', 'status'], registers });

  type Read = (from: NonNullable<typeof source>) => [Record<string, string>, number][];
  const samplesOf = (read: Read) => (source === null ? [] : read(source));
  /** A counter, or a gauge, whose values are read from the daemon at scrape time: one sample per label set. */
  const readCounter = (name: string, help: string, labelNames: string[], read: Read) =>
    new Counter({ name, help, labelNames, registers, collect() {
      this.reset();
      for (const [labels, value] of samplesOf(read)) this.inc(labels, value);
    } });
  const readGauge = (name: string, help: string, labelNames: string[], read: Read) =>
    new Gauge({ name, help, labelNames, registers, collect() {
      this.reset();
      for (const [labels, value] of samplesOf(read)) this.set(labels, value);
    } });

  // TCP's spans and batches are the store's totals less the OTLP faces' (the daemon has no other writer).
  const byFace = (tcp: number, http: number, grpc: number): [Record<string, string>, number][] => [
    [{ face: 'tcp' }, tcp],
    [{ face: 'otlp_http' }, http],
    [{ face: 'otlp_grpc' }, grpc],
  ];
  readCounter('tracekv_ingest_spans_total', 'Spans stored, by face.', ['face'], ({ stats, metrics }) => {
    const { otlpHttp, otlpGrpc } = metrics;
    return byFace(stats.appendedSpans - otlpHttp.spans - otlpGrpc.spans, otlpHttp.spans, otlpGrpc.spans);
  });
  readCounter('tracekv_ingest_batches_total', 'Batches stored, by face.', ['face'], ({ stats, metrics }) => {
    const { otlpHttp, otlpGrpc } = metrics;
    return byFace(stats.appends - otlpHttp.batches - otlpGrpc.batches, otlpHttp.batches, otlpGrpc.batches);
  });
  readCounter('tracekv_ingest_bytes_total', 'Bytes received: TCP frames (reads included), OTLP request bodies after decompression.', ['face'], ({ metrics }) =>
    byFace(metrics.bytesIn, metrics.otlpHttp.bytes, metrics.otlpGrpc.bytes),
  );
  readCounter('tracekv_busy_replies_total', 'Requests refused for the in-flight budget (ERR_BUSY, 429, RESOURCE_EXHAUSTED), by face.', ['face'], ({ metrics }) =>
    byFace(metrics.busyReplies, metrics.otlpHttp.busyReplies, metrics.otlpGrpc.busyReplies),
  );
  readCounter('tracekv_read_cache_hits_total', 'Record reads served from the read cache.', [], ({ stats }) => [[{}, stats.readCache.hits]]);
  readCounter('tracekv_read_cache_misses_total', 'Record reads that went to disk.', [], ({ stats }) => [[{}, stats.readCache.misses]]);
  readGauge('tracekv_generations', 'Generations in the store.', [], ({ stats }) => [[{}, stats.generations]]);
  readGauge('tracekv_segments', 'Segment files in the store.', [], ({ stats }) => [[{}, stats.segments]]);
  readGauge('tracekv_disk_bytes', 'Bytes on disk: segment data and index chunk files.', ['kind'], ({ stats }) => {
    return [
      [{ kind: 'segments' }, stats.storedBytes],
      [{ kind: 'index' }, stats.indexChunkBytes],
    ];
  });
  readGauge('tracekv_connections', 'Open TCP connections.', [], ({ metrics }) => [[{}, metrics.connections]]);
  readGauge('tracekv_recovery', 'What recovery did at the last open, by figure.', ['figure'], ({ stats }) => {
    const recovery = stats.recovery;
    return [
      [{ figure: 'duration_seconds' }, recovery.durationMs / MS_PER_SECOND],
      [{ figure: 'truncated_bytes' }, recovery.truncatedBytes],
      [{ figure: 'truncated_files' }, recovery.truncatedFiles.length],
      [{ figure: 'broken_chunks' }, recovery.brokenChunks.length],
      [{ figure: 'reindexed_records' }, recovery.reindexedRecords],
      [{ figure: 'reindexed_spans' }, recovery.reindexedSpans],
      [{ figure: 'removed_temp_files' }, recovery.removedTempFiles],
    ];
  });

  return {
    registry,
    latencyObserver: (what, seconds) => (what === 'append' ? appendSeconds : fsyncSeconds).observe(seconds),
    lookupObserver: (endpoint, status, seconds) => {
      lookups.inc({ endpoint, status: String(status) });
      lookupSeconds.observe({ endpoint }, seconds);
    },
    attach(store, metrics) {
      attached = { store, metrics };
    },
    async render() {
      source = attached === null ? null : { stats: attached.store.stats(), metrics: attached.metrics };
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
