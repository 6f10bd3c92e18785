// Proves GET /metrics on the query port answers Prometheus text with the daemon's figures: spans and batches by face (TCP as well as OTLP), append and fsync latency histograms fed by the store, lookups by endpoint and status with their latency histogram (HTTP lookups by status, internal errors as 500 included; TCP reads as ok or their error code), busy replies, cache, segments, generations, disk bytes and recovery; and that it needs the token.
import http from 'node:http';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceClient } from '../../src/index.js';
import { PROTOCOL_VERSION } from '../../src/constants.js';
import { createPrometheus } from '../../src/daemon/prometheus.js';
import type { Daemon } from '../../src/daemon/server.js';
import { Opcode } from '../../src/protocol/frame.js';
import { startQueryServer, type QueryStore } from '../../src/query/index.js';
import { withOtlpReads } from '../helpers/otlp-reads.js';
import { RawClient } from '../helpers/raw-client.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { sdkSpans } from '../helpers/sdk-traces.js';
import { otlpDaemon } from '../receiver/daemon-fixture.js';
import { post } from '../receiver/otlp-clients.js';

const TOKEN = 'metrics-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
let daemon: Daemon;

beforeAll(async () => {
  daemon = await otlpDaemon({ token: TOKEN });
});

afterAll(async () => {
  await daemon?.close();
  await removeTempDirs();
});

function get(port: number, path: string, headers: http.OutgoingHttpHeaders = AUTH): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (text: string) => (body += text));
        response.on('end', () => resolve({ status: response.statusCode!, type: String(response.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

/** The value of one sample line, e.g. `tracekv_ingest_spans_total{face="tcp"}`. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no sample ${series} in:\n${text}`);
  return Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  it('reports ingest by face, latency histograms, lookups, and the store’s figures', async () => {
    const spans = sdkSpans('metrics');
    expect((await post(daemon.otlpHttpPort!, { body: ProtobufTraceSerializer.serializeRequest(spans)!, headers: AUTH })).status).toBe(200);
    const client = await TraceClient.connect({ port: daemon.port, token: TOKEN });
    const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': 'tcp' } } });
    encoder.add({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), name: 'tcp-span', startTimeUnixNano: 1n, endTimeUnixNano: 2n });
    await client.append(encoder.finish());
    expect(await client.getTrace('1'.repeat(32))).not.toBeNull();
    // A miss is a nil answer, not a failure: counted as ok.
    expect(await client.getTrace('3'.repeat(32))).toBeNull();
    expect(await client.getSpan('1'.repeat(32), '2'.repeat(16))).not.toBeNull();
    expect(await client.getTraces(['1'.repeat(32), '3'.repeat(32)])).toHaveLength(2);
    await client.close();
    // A read the daemon refuses is counted under its error code (the client would not send this one).
    const raw = await RawClient.connect(daemon.port);
    await raw.ask(Opcode.HELLO, 1, { version: PROTOCOL_VERSION, token: TOKEN });
    const refused = await raw.ask(Opcode.GET_SPAN, 2, { traceId: 7, spanId: '2'.repeat(16) });
    expect([refused.opcode, refused.header.code]).toEqual([Opcode.ERROR, 'ERR_INVALID_ARGUMENT']);
    raw.destroy();
    const traceId = spans[0]!.spanContext().traceId;
    expect((await get(daemon.queryPort!, `/api/v2/traces/${traceId}`)).status).toBe(200);
    expect((await get(daemon.queryPort!, `/api/v2/traces/${'f'.repeat(32)}`)).status).toBe(404);
    expect((await get(daemon.jaegerPort!, `/api/traces/${traceId}`)).status).toBe(200);

    const reply = await get(daemon.queryPort!, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = reply.body;
    expect(sample(text, 'tracekv_ingest_spans_total{face="otlp_http"}')).toBe(spans.length);
    expect(sample(text, 'tracekv_ingest_spans_total{face="tcp"}')).toBe(1);
    expect(sample(text, 'tracekv_ingest_spans_total{face="otlp_grpc"}')).toBe(0);
    expect(sample(text, 'tracekv_ingest_batches_total{face="tcp"}')).toBe(1);
    expect(sample(text, 'tracekv_ingest_bytes_total{face="otlp_http"}')).toBeGreaterThan(0);
    expect(sample(text, 'tracekv_append_duration_seconds_count')).toBe(2);
    expect(sample(text, 'tracekv_fsync_duration_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tracekv_append_duration_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(sample(text, 'tracekv_lookups_total{endpoint="tempo_v2",status="200"}')).toBe(1);
    expect(sample(text, 'tracekv_lookups_total{endpoint="tempo_v2",status="404"}')).toBe(1);
    expect(sample(text, 'tracekv_lookups_total{endpoint="jaeger",status="200"}')).toBe(1);
    expect(sample(text, 'tracekv_lookup_duration_seconds_count{endpoint="tempo_v2"}')).toBe(2);
    expect(sample(text, 'tracekv_lookups_total{endpoint="tcp_get_trace",status="ok"}')).toBe(2);
    expect(sample(text, 'tracekv_lookups_total{endpoint="tcp_get_span",status="ok"}')).toBe(1);
    expect(sample(text, 'tracekv_lookups_total{endpoint="tcp_get_span",status="ERR_INVALID_ARGUMENT"}')).toBe(1);
    expect(sample(text, 'tracekv_lookups_total{endpoint="tcp_get_traces",status="ok"}')).toBe(1);
    expect(sample(text, 'tracekv_lookup_duration_seconds_count{endpoint="tcp_get_trace"}')).toBe(2);
    expect(sample(text, 'tracekv_lookup_duration_seconds_count{endpoint="tcp_get_span"}')).toBe(2);
    expect(sample(text, 'tracekv_busy_replies_total{face="tcp"}')).toBe(0);
    expect(sample(text, 'tracekv_generations')).toBe(1);
    expect(sample(text, 'tracekv_segments')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'tracekv_disk_bytes{kind="segments"}')).toBeGreaterThan(0);
    expect(sample(text, 'tracekv_recovery{figure="truncated_bytes"}')).toBe(0);
    expect(text).toContain('tracekv_read_cache_misses_total');
  });

  it('needs the token, and is not on the Jaeger port', async () => {
    expect((await get(daemon.queryPort!, '/metrics', {})).status).toBe(401);
    expect((await get(daemon.jaegerPort!, '/metrics')).status).toBe(404);
  });
});

describe('lookup metrics on failure', () => {
  it('a lookup that ends in an internal error is counted as 500, with its latency', async () => {
    const prometheus = createPrometheus();
    // A plain Error is no store answer: the query server's internal-error path, not the store-error table.
    const store: QueryStore = withOtlpReads({
      getTrace: () => Promise.reject(new Error('disk on fire')),
      async *getTracesStream() {
        throw new Error('disk on fire');
      },
    });
    const server = await startQueryServer(
      store,
      { host: '127.0.0.1', port: 0, token: undefined, tls: undefined, idleTimeoutMs: 5_000, maxConnections: 16, closeGraceMs: 1_000, requestTracesMax: 100, face: 'tempo', lookupObserver: prometheus.lookupObserver },
      () => {},
    );
    try {
      expect((await get(server.port, `/api/v2/traces/${'a'.repeat(32)}`, {})).status).toBe(500);
    } finally {
      await server.close();
    }
    const { body } = await prometheus.render();
    expect(sample(body, 'tracekv_lookups_total{endpoint="tempo_v2",status="500"}')).toBe(1);
    expect(sample(body, 'tracekv_lookup_duration_seconds_count{endpoint="tempo_v2"}')).toBe(1);
  });
});
