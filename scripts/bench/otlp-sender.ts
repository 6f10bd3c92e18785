/**
 * The sending process of the OTLP ingest benchmark (scripts/bench/otlp-ingest.ts starts it): a
 * process of its own, so the daemon's CPU and the sender's are measured apart, and the sender's
 * serialization is never timed.
 *
 * Before timing, it turns W1 spans into ExportTraceServiceRequests the way an SDK would: one
 * request per service (an SDK has one resource), OTLP_REQUEST_SPANS spans each, every span of a
 * service sharing one Resource object and all sharing one scope object (the serializer groups by
 * identity), serialized by @opentelemetry/otlp-transformer's ProtobufTraceSerializer, uncompressed.
 * It then prints `{"event":"ready",…}` and waits on stdin for one JSON line per run,
 * `{"face":"http"|"grpc","port":N}`: it sends every request once, OTLP_REQUESTS_IN_FLIGHT at a
 * time, and prints `{"event":"sent",…}`. stdin closing ends it.
 *
 * Only 200 / OK replies count, and each must carry no partial_success (nothing rejected). 429 and
 * 503 (RESOURCE_EXHAUSTED and UNAVAILABLE on gRPC) are retried after the advised delay
 * (Retry-After, grpc-retry-pushback-ms) and counted; any other reply fails the run.
 *
 *   argv[2]: {"spans": N, "seed": S}
 */
import http from 'node:http';
import http2 from 'node:http2';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource as OtelResource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OTLP_GRPC_EXPORT_PATH, OTLP_HTTP_TRACES_PATH } from '../../src/constants.js';
import { tracegenWorkload } from '../../src/workload/replay.js';
import { makeRng } from '../../src/workload/rng.js';
import { FIRST_TRACE_UNIX_NANO, OTLP_REQUEST_SPANS, SCOPE, TRACE_INTERVAL_NS } from './constants.js';
import { readableSpan } from './otlp.js';

export type OtlpFace = 'http' | 'grpc';

/** What the sender prints once its requests are built. */
export interface SenderReady {
  event: 'ready';
  spans: number;
  requests: number;
  /** Bytes of every request body, uncompressed. */
  bytes: number;
  prepareSeconds: number;
  requestsInFlight: number;
}

/** What the sender prints after one run. */
export interface SenderRun {
  event: 'sent';
  face: OtlpFace;
  /** Spans in requests answered 200 / OK: every span, or the run fails. */
  spans: number;
  requests: number;
  bytes: number;
  /** 429/503 or RESOURCE_EXHAUSTED/UNAVAILABLE replies, each retried after its advised delay. */
  retries: number;
  /** Milliseconds slept on advised delays, in all in-flight slots together. */
  retryWaitMs: number;
  /** From the first request sent to the last reply. */
  seconds: number;
  /** process.cpuUsage() (user + system) of this process over the same span, in microseconds. */
  cpuMicros: number;
}

interface Prepared {
  requests: Buffer[];
  /** Spans in each request, same order. */
  spanCounts: number[];
}

/**
 * Requests awaiting a reply at once, on as many keep-alive connections (HTTP) or as many streams of
 * one HTTP/2 connection (gRPC): what a Collector's exporter with a sending queue keeps in flight
 * (otlphttp's default num_consumers is 10), and enough for the daemon's group commit to share each
 * fdatasync among several requests. The same as the TCP benchmark's APPENDS_IN_FLIGHT.
 */
export const OTLP_REQUESTS_IN_FLIGHT = 16;
/** Client-side ceiling on one call: far above any healthy export, so a stuck daemon fails the run instead of hanging it. */
const CALL_TIMEOUT_MS = 120_000;
/** Retries of one request before the run fails: a daemon that refuses this often is broken, not busy. */
const RETRIES_PER_REQUEST_MAX = 100;
const MS_PER_SECOND = 1000;

function prepare(spansWanted: number, seed: number): Prepared {
  const source = tracegenWorkload(makeRng(seed));
  const scope = { name: SCOPE.name, version: SCOPE.version };
  const pending = new Map<string, { resource: OtelResource; spans: ReadableSpan[] }>();
  const prepared: Prepared = { requests: [], spanCounts: [] };
  const serialize = (spans: ReadableSpan[]) => {
    const request = ProtobufTraceSerializer.serializeRequest(spans);
    if (request === undefined) throw new Error(`OTLP serializer returned nothing for ${spans.length} spans`);
    prepared.requests.push(Buffer.from(request.buffer, request.byteOffset, request.byteLength));
    prepared.spanCounts.push(spans.length);
  };
  let spans = 0;
  for (let trace = 0; spans < spansWanted; trace++) {
    const generated = source.nextTrace(FIRST_TRACE_UNIX_NANO + BigInt(trace) * TRACE_INTERVAL_NS);
    for (const [service, serviceSpans] of generated.spansByService) {
      let group = pending.get(service);
      if (group === undefined) pending.set(service, (group = { resource: resourceFromAttributes({ 'service.name': service }), spans: [] }));
      for (const span of serviceSpans) {
        group.spans.push(readableSpan(span, group.resource, scope));
        if (group.spans.length === OTLP_REQUEST_SPANS) {
          serialize(group.spans);
          group.spans = [];
        }
      }
      spans += serviceSpans.length;
    }
  }
  for (const group of pending.values()) if (group.spans.length > 0) serialize(group.spans);
  return prepared;
}

/** A 200's body: an ExportTraceServiceResponse that must be empty or carry a partial_success with nothing in it. */
function checkExportResponse(body: Buffer, where: string): void {
  if (body.length === 0) return;
  // Field 1, wire type 2: partial_success. An empty message inside is still a full success.
  if (body[0] === 0x0a && body.length === 2 && body[1] === 0) return;
  throw new Error(`${where}: partial_success got ${body.toString('hex')}; want none (every span stored)`);
}

type SendOne = (body: Buffer) => Promise<{ retryAfterMs: number } | null>;

function httpSender(port: number): { send: SendOne; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: OTLP_REQUESTS_IN_FLIGHT });
  const send: SendOne = (body) =>
    new Promise((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          path: OTLP_HTTP_TRACES_PATH,
          method: 'POST',
          agent,
          timeout: CALL_TIMEOUT_MS,
          headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            const reply = Buffer.concat(chunks);
            if (status === 200) {
              try {
                checkExportResponse(reply, 'OTLP/HTTP 200');
                resolve(null);
              } catch (error) {
                reject(error);
              }
            } else if (status === 429 || status === 503) {
              const seconds = Number(response.headers['retry-after']);
              resolve({ retryAfterMs: Number.isFinite(seconds) ? seconds * MS_PER_SECOND : MS_PER_SECOND });
            } else reject(new Error(`OTLP/HTTP got ${status} (${reply.toString('utf8', 0, 200)}); want 200`));
          });
        },
      );
      request.on('timeout', () => request.destroy(new Error(`OTLP/HTTP request took over ${CALL_TIMEOUT_MS} ms`)));
      request.on('error', reject);
      request.end(body);
    });
  return { send, close: () => agent.destroy() };
}

/** RESOURCE_EXHAUSTED and UNAVAILABLE: the daemon's "retry later" codes (src/receiver/rpc-status.ts). */
const GRPC_RETRYABLE_CODES = new Set(['8', '14']);
/** The gRPC message prefix: a compressed flag byte and a big-endian u32 length. */
const GRPC_PREFIX_BYTES = 5;

/**
 * Unary gRPC calls over node:http2, as little client as the HTTP sender's node:http: one
 * connection, a stream per call, the 5-byte message prefix written before the prebuilt body (no
 * copy), the status from the trailers (or from the headers of a trailers-only reply). Not
 * @grpc/grpc-js's client: it costs 0.87 µs of CPU per span against node:http's 0.35 (measured on
 * this benchmark), and on a 2-core machine the sender's CPU is taken from the daemon, so a heavier
 * client on one face would measure the client, not the daemon's gRPC receiver. The receiver is
 * grpc-js either way; grpc-go, the Collector's client, frames messages the same way.
 */
function grpcSender(port: number): { send: SendOne; close(): void } {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  let sessionError: Error | null = null;
  session.on('error', (error: Error) => (sessionError = error));
  const send: SendOne = (body) =>
    new Promise((resolve, reject) => {
      if (sessionError !== null) return reject(sessionError);
      const stream = session.request({
        ':method': 'POST',
        ':path': OTLP_GRPC_EXPORT_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${CALL_TIMEOUT_MS}m`,
      });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (received) => (headers = received));
      stream.on('trailers', (received) => (trailers = received));
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', reject);
      stream.setTimeout(CALL_TIMEOUT_MS, () => stream.close(http2.constants.NGHTTP2_CANCEL));
      stream.on('close', () => {
        const code = String(trailers['grpc-status'] ?? headers['grpc-status'] ?? 'none');
        if (code === '0') {
          const reply = Buffer.concat(chunks);
          try {
            if (reply.length < GRPC_PREFIX_BYTES || reply.readUInt32BE(1) !== reply.length - GRPC_PREFIX_BYTES) throw new Error(`OTLP/gRPC OK: reply of ${reply.length} bytes is not one gRPC message`);
            checkExportResponse(reply.subarray(GRPC_PREFIX_BYTES), 'OTLP/gRPC OK');
            resolve(null);
          } catch (error) {
            reject(error);
          }
        } else if (GRPC_RETRYABLE_CODES.has(code)) {
          const pushback = Number(trailers['grpc-retry-pushback-ms'] ?? headers['grpc-retry-pushback-ms']);
          resolve({ retryAfterMs: Number.isFinite(pushback) ? pushback : MS_PER_SECOND });
        } else {
          const message = String(trailers['grpc-message'] ?? headers['grpc-message'] ?? '');
          reject(new Error(`OTLP/gRPC got code ${code} (${decodeURIComponent(message)}; HTTP ${String(headers[':status'])}, stream rstCode ${stream.rstCode}); want 0 (OK)`));
        }
      });
      const prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
      prefix.writeUInt32BE(body.length, 1);
      stream.cork();
      stream.write(prefix);
      stream.end(body);
      stream.uncork();
    });
  return { send, close: () => session.close() };
}

async function run(prepared: Prepared, face: OtlpFace, port: number): Promise<SenderRun> {
  const sender = face === 'http' ? httpSender(port) : grpcSender(port);
  const result: SenderRun = { event: 'sent', face, spans: 0, requests: 0, bytes: 0, retries: 0, retryWaitMs: 0, seconds: 0, cpuMicros: 0 };
  let next = 0;
  const slot = async () => {
    for (let index = next++; index < prepared.requests.length; index = next++) {
      const body = prepared.requests[index]!;
      for (let attempt = 0; ; attempt++) {
        const refused = await sender.send(body);
        if (refused === null) break;
        if (attempt === RETRIES_PER_REQUEST_MAX) throw new Error(`${face}: request ${index} refused ${attempt + 1} times; the daemon is not draining`);
        result.retries++;
        result.retryWaitMs += refused.retryAfterMs;
        await sleep(refused.retryAfterMs);
      }
      result.spans += prepared.spanCounts[index]!;
      result.requests++;
      result.bytes += body.length;
    }
  };
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(OTLP_REQUESTS_IN_FLIGHT, prepared.requests.length) }, slot));
  } finally {
    sender.close();
  }
  result.seconds = (performance.now() - start) / MS_PER_SECOND;
  const cpu = process.cpuUsage(cpuBefore);
  result.cpuMicros = cpu.user + cpu.system;
  return result;
}

async function main(): Promise<void> {
  const { spans, seed } = JSON.parse(process.argv[2] ?? '{}') as { spans: number; seed: number };
  if (!Number.isSafeInteger(spans) || spans < 1 || !Number.isSafeInteger(seed)) throw new Error(`argv[2] got ${process.argv[2]}; want {"spans": N, "seed": S}`);
  const start = performance.now();
  const prepared = prepare(spans, seed);
  const ready: SenderReady = {
    event: 'ready',
    spans: prepared.spanCounts.reduce((sum, count) => sum + count, 0),
    requests: prepared.requests.length,
    bytes: prepared.requests.reduce((sum, request) => sum + request.length, 0),
    prepareSeconds: (performance.now() - start) / MS_PER_SECOND,
    requestsInFlight: OTLP_REQUESTS_IN_FLIGHT,
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const { face, port } = JSON.parse(line) as { face: OtlpFace; port: number };
    process.stdout.write(`${JSON.stringify(await run(prepared, face, port))}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`otlp-sender: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
