// Proves the query server's bulk read keeps its status line honest around store failures: a store that fails before the first trace gets its status code (504 for a timeout, 503 closed), and one that fails mid-stream ends the 200 reply with an {"error": …} line after the traces already written.
import { afterEach, describe, expect, it } from 'vitest';
import type { Span, StreamedTrace, Trace } from '../../src/api/index.js';
import { TraceKvError } from '../../src/errors.js';
import { startQueryServer, type QueryServer, type QueryStore } from '../../src/query/index.js';
import { decodedSpan } from '../helpers/decoded-span.js';
import { post } from '../receiver/otlp-clients.js';

const RESOURCE = { attributes: { 'service.name': 'fake' }, droppedAttributesCount: 0 };

function trace(traceId: string): Trace<Span> {
  const span = decodedSpan({ traceId, spanId: '0000000000000001', kind: 2, startTimeUnixNano: 1_700_000_000_000_000_000n, endTimeUnixNano: 1_700_000_000_000_000_001n, resource: RESOURCE });
  return { traceId, spans: [span] };
}

/** A store whose stream yields `before` traces, then fails with `failure`. */
function failingStore(before: number, failure: TraceKvError): QueryStore {
  return {
    getTrace: () => Promise.reject(failure),
    async *getTracesStream(ids: Iterable<string>): AsyncGenerator<StreamedTrace<Span>> {
      let index = 0;
      for (const id of ids) {
        if (index === before) throw failure;
        yield { index, trace: trace(id) };
        index++;
      }
    },
  };
}

let server: QueryServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function bulk(store: QueryStore, ids: string[]) {
  server = await startQueryServer(store, { host: '127.0.0.1', port: 0, token: undefined, tls: undefined, idleTimeoutMs: 5_000, maxConnections: 16, closeGraceMs: 1_000, requestTracesMax: 100, face: 'tempo' }, () => {});
  return post(server.port, { path: '/api/v2/traces:batch', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ ids })) });
}

describe('query server bulk read and store failures', () => {
  it('a failure before the first trace is the status code', async () => {
    const timedOut = await bulk(failingStore(0, new TraceKvError('ERR_TIMEOUT', 'read took too long')), ['1', '2']);
    expect([timedOut.status, timedOut.body.toString()]).toEqual([504, 'read took too long\n']);
    await server!.close();
    const closed = await bulk(failingStore(0, new TraceKvError('ERR_STORE_CLOSED', 'closed')), ['1']);
    expect([closed.status, closed.headers['retry-after']]).toEqual([503, '1']);
  });

  it('a failure mid-stream ends the 200 reply with an error line after the traces written', async () => {
    const reply = await bulk(failingStore(2, new TraceKvError('ERR_REQUEST_TOO_LARGE', 'too many span bytes')), ['1', '2', '3', '4']);
    expect(reply.status).toBe(200);
    const lines = reply.body.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[2]!)).toEqual({ error: { code: 'ERR_REQUEST_TOO_LARGE', message: 'too many span bytes' } });
    expect((JSON.parse(lines[0]!) as { trace: unknown }).trace).toBeDefined();
  });
});
