// Proves the OTLP/gRPC receiver serves TraceService/Export with our own codec: spans stored with or without gzip, partial_success in the response, UNAUTHENTICATED without the token, INVALID_ARGUMENT for an undecodable request, RESOURCE_EXHAUSTED with retry pushback and a RetryInfo over the in-flight budget, UNAVAILABLE on a store failure; that every connection is granted the wide HTTP/2 flow-control windows; and that the server stays up after each refusal with nothing of it stored.
import http2 from 'node:http2';
import { Metadata, status } from '@grpc/grpc-js';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { afterAll, describe, expect, it } from 'vitest';
import { OTLP_GRPC_CONNECTION_WINDOW_BYTES, OTLP_GRPC_STREAM_WINDOW_BYTES } from '../../src/constants.js';
import type { Daemon } from '../../src/daemon/server.js';
import { exportRequest } from '../../scripts/testkit/otlp-request.js';
import { removeTempDirs } from '../helpers/store-dir.js';
import { plainSpan } from '../batch/samples.js';
import { SyncGate, otlpDaemon, until } from './daemon-fixture.js';
import { grpcExporter } from './otlp-clients.js';

afterAll(removeTempDirs);

function spansRequest(first: number, count: number): Uint8Array {
  return exportRequest([{ resource: { attributes: { 'service.name': 'grpc-test' } }, spans: Array.from({ length: count }, (_, i) => plainSpan(first + i)) }]);
}

function storedSpans(daemon: Daemon): number {
  return daemon.store.stats().appendedSpans;
}

/** The bytes of a binary trailer, or undefined. */
function trailerBytes(metadata: Metadata | undefined, key: string): Buffer | undefined {
  const value = metadata?.get(key)[0];
  return Buffer.isBuffer(value) ? value : undefined;
}

describe('OTLP/gRPC receiver', () => {
  it('stores spans sent identity and gzip, answers an empty request and partial_success', async () => {
    const daemon = await otlpDaemon();
    expect(daemon.otlpGrpcPort).toBeGreaterThan(0);
    for (const gzip of [false, true]) {
      const exporter = grpcExporter(daemon.otlpGrpcPort!, { gzip });
      const empty = await exporter.exportRequest(new Uint8Array(0));
      expect(empty.error).toBeNull();
      expect(empty.response?.length).toBe(0);
      const first = gzip ? 10 : 0;
      const full = await exporter.exportRequest(spansRequest(first, 5));
      expect(full.error).toBeNull();
      expect((await daemon.store.getTrace(plainSpan(first + 4).traceId))?.spans.map((span) => span.name)).toEqual([`span-${first + 4}`]);
      exporter.close();
    }
    expect(storedSpans(daemon)).toBe(10);
    const exporter = grpcExporter(daemon.otlpGrpcPort!);
    const partial = await exporter.exportRequest(exportRequest([{ spans: [plainSpan(20), { ...plainSpan(21), spanId: '0102' }] }]));
    expect(partial.error).toBeNull();
    const decoded = ProtobufTraceSerializer.deserializeResponse(partial.response!);
    expect(Number(decoded.partialSuccess?.rejectedSpans)).toBe(1);
    expect(decoded.partialSuccess?.errorMessage).not.toBe('');
    expect(storedSpans(daemon)).toBe(11);
    expect(daemon.metrics.snapshot()).toMatchObject({ otlpGrpc: { requests: 5, spans: 11, rejectedSpans: 1 } });
    exporter.close();
    await daemon.close();
  });

  it('refuses an undecodable request with INVALID_ARGUMENT and a missing or wrong token with UNAUTHENTICATED, storing nothing', async () => {
    const daemon = await otlpDaemon({ token: 'tok' });
    const exporter = grpcExporter(daemon.otlpGrpcPort!);
    expect((await exporter.exportRequest(spansRequest(0, 2))).error?.code).toBe(status.UNAUTHENTICATED);
    expect((await exporter.exportRequest(spansRequest(0, 2), { token: 'nope' })).error?.code).toBe(status.UNAUTHENTICATED);
    const garbage = await exporter.exportRequest(Buffer.from([0x0a, 0x85, 0x80]), { token: 'tok' });
    expect(garbage.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(storedSpans(daemon)).toBe(0);
    expect((await exporter.exportRequest(spansRequest(0, 2), { token: 'tok' })).error).toBeNull();
    expect(storedSpans(daemon)).toBe(2);
    expect(daemon.metrics.snapshot()).toMatchObject({ otlpGrpc: { errorsByStatus: { UNAUTHENTICATED: 2, INVALID_ARGUMENT: 1 } } });
    exporter.close();
    await daemon.close();
  });

  it('refuses a message over otlpRequestBytesMax, compressed or not, with RESOURCE_EXHAUSTED', async () => {
    const daemon = await otlpDaemon({ otlpRequestBytesMax: 16 * 1024 });
    for (const gzip of [false, true]) {
      const exporter = grpcExporter(daemon.otlpGrpcPort!, { gzip });
      expect((await exporter.exportRequest(spansRequest(0, 1000))).error?.code).toBe(status.RESOURCE_EXHAUSTED);
      expect((await exporter.exportRequest(spansRequest(0, 2))).error).toBeNull();
      exporter.close();
    }
    expect(storedSpans(daemon)).toBe(4);
    await daemon.close();
  });

  it('answers RESOURCE_EXHAUSTED with grpc-retry-pushback-ms and a google.rpc.RetryInfo while a request is held', async () => {
    const gate = new SyncGate();
    const daemon = await otlpDaemon({ inFlightBytesMax: 1 }, gate);
    const exporter = grpcExporter(daemon.otlpGrpcPort!);
    gate.hold();
    const held = exporter.exportRequest(spansRequest(0, 1));
    await until(() => gate.waiting > 0);
    const busy = await exporter.exportRequest(spansRequest(1, 1));
    expect(busy.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(Number(busy.error?.metadata.get('grpc-retry-pushback-ms')[0])).toBeGreaterThan(0);
    const details = trailerBytes(busy.error?.metadata, 'grpc-status-details-bin');
    // google.rpc.Status: code 8, then the Any with the RetryInfo type URL.
    expect([...details!.subarray(0, 2)]).toEqual([0x08, 8]);
    expect(details!.toString('latin1')).toContain('type.googleapis.com/google.rpc.RetryInfo');
    gate.release();
    expect((await held).error).toBeNull();
    expect(storedSpans(daemon)).toBe(1);
    expect((await exporter.exportRequest(spansRequest(1, 1))).error).toBeNull();
    expect(storedSpans(daemon)).toBe(2);
    exporter.close();
    await daemon.close();
  });

  it('answers UNAVAILABLE with retry info when the store fails', async () => {
    const gate = new SyncGate();
    const daemon = await otlpDaemon({}, gate);
    gate.failure = new Error('EIO: simulated');
    const exporter = grpcExporter(daemon.otlpGrpcPort!);
    const reply = await exporter.exportRequest(spansRequest(0, 3));
    expect(reply.error?.code).toBe(status.UNAVAILABLE);
    expect(reply.error?.details).toContain('EIO: simulated');
    expect(reply.error?.metadata.get('grpc-retry-pushback-ms')).toHaveLength(1);
    exporter.close();
    await daemon.close().catch(() => {});
  });

  it('grants each connection the wide flow-control windows, for the connection and for each stream', async () => {
    const daemon = await otlpDaemon();
    const session = http2.connect(`http://127.0.0.1:${daemon.otlpGrpcPort}`);
    try {
      // Both come just after the connection opens: the stream window in a second SETTINGS frame, the
      // connection window in a WINDOW_UPDATE. Without them this waits until the test times out.
      await until(() => session.remoteSettings?.initialWindowSize === OTLP_GRPC_STREAM_WINDOW_BYTES && (session.state.remoteWindowSize ?? 0) >= OTLP_GRPC_CONNECTION_WINDOW_BYTES);
      expect(session.remoteSettings.initialWindowSize).toBe(OTLP_GRPC_STREAM_WINDOW_BYTES);
      expect(session.state.remoteWindowSize).toBe(OTLP_GRPC_CONNECTION_WINDOW_BYTES);
    } finally {
      session.destroy();
      await daemon.close();
    }
  }, 10_000);
});
