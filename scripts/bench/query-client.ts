/**
 * A client for the daemon's Tempo query face, as the benchmarks call it from their own process over
 * one keep-alive HTTP connection: v2 trace-by-ID in protobuf (as Grafana asks) and the bulk read
 * (protobuf or NDJSON), each reply checked to hold every span of its trace, so a fast wrong answer
 * cannot pass.
 */
import http from 'node:http';
import { ProtobufReader, WIRE_LEN } from '../../src/otlp/protobuf-reader.js';
import { traceIdAt, type PreparedWorkload } from './workloads.js';

export interface HttpReply {
  status: number;
  body: Buffer;
}

/** The bulk read's two reply formats (data-format.md §8.4). */
export type BulkFormat = 'protobuf' | 'ndjson';

export class TempoQueryClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly port: number,
    private readonly workload: PreparedWorkload,
  ) {}

  request(method: string, path: string, headers: http.OutgoingHttpHeaders, body?: string): Promise<HttpReply> {
    return new Promise<HttpReply>((resolve, reject) => {
      const outgoing = http.request({ host: '127.0.0.1', port: this.port, method, path, agent: this.agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  /** `GET /api/v2/traces/<id>` with `Accept: application/protobuf` for trace number `trace`. */
  async v2(trace: number): Promise<void> {
    const id = this.hex(trace);
    const reply = await this.request('GET', `/api/v2/traces/${id}`, { accept: 'application/protobuf' });
    if (reply.status !== 200) throw new Error(`query client: /api/v2/traces/${id} got ${reply.status}; want 200`);
    this.checkSpans(trace, countSpans(reply.body));
  }

  /**
   * `POST /api/v2/traces:batch` for trace numbers `traces`: in length-delimited protobuf (each item
   * a v2 TraceByIDResponse, as v2() reads one) or in NDJSON.
   */
  async batch(traces: readonly number[], format: BulkFormat): Promise<void> {
    const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', ...(format === 'protobuf' ? { accept: 'application/protobuf' } : {}) };
    const reply = await this.request('POST', '/api/v2/traces:batch', headers, JSON.stringify({ ids: traces.map((trace) => this.hex(trace)) }));
    const items = format === 'protobuf' ? delimited(reply.body) : reply.body.toString('utf8').trimEnd().split('\n');
    if (reply.status !== 200 || items.length !== traces.length) throw new Error(`query client: traces:batch (${format}) got ${reply.status} with ${items.length} items; want 200 with ${traces.length}`);
    traces.forEach((trace, i) => {
      const item = items[i]!;
      this.checkSpans(trace, typeof item === 'string' ? countJsonSpans(item) : countSpans(item));
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private hex(trace: number): string {
    return Buffer.from(traceIdAt(this.workload, trace)).toString('hex');
  }

  private checkSpans(trace: number, got: number): void {
    const want = this.workload.traceSpanCounts[trace]!;
    if (got !== want) throw new Error(`query client: trace ${trace} came back with ${got} spans; want ${want}`);
  }
}

/** Spans in a TraceByIDResponse: field 1 (Trace) → ResourceSpans (1) → ScopeSpans (2) → Span (2). */
function countSpans(body: Buffer): number {
  const count = (bytes: Uint8Array, path: readonly number[]): number => {
    if (path.length === 0) return 1;
    const reader = new ProtobufReader(bytes);
    let spans = 0;
    while (reader.nextField()) {
      if (reader.fieldNumber === path[0] && reader.wireType === WIRE_LEN) {
        const end = reader.lengthDelimited();
        spans += count(bytes.subarray(reader.pos, end), path.slice(1));
        reader.pos = end;
      } else reader.skipValue();
    }
    return spans;
  };
  return count(body, [1, 1, 2, 2]);
}

/** The items of a length-delimited protobuf stream. */
function delimited(stream: Buffer): Buffer[] {
  const reader = new ProtobufReader(stream);
  const items: Buffer[] = [];
  while (reader.pos < stream.length) {
    const length = reader.uint32();
    items.push(stream.subarray(reader.pos, reader.pos + length));
    reader.pos += length;
  }
  return items;
}

/** Spans in one NDJSON line of the bulk read (its v2 JSON reply), 0 for null. */
function countJsonSpans(line: string): number {
  const reply = JSON.parse(line) as { trace: { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] } } | null;
  return reply === null ? 0 : reply.trace.resourceSpans.reduce((sum, r) => sum + r.scopeSpans.reduce((n, s) => n + s.spans.length, 0), 0);
}
