// Proves that a real OpenTelemetry JS SDK in its own process, exporting to `tracekv serve` with each OTLP exporter (proto, JSON, gRPC; with and without gzip; by constructor options and by the standard OTEL_EXPORTER_OTLP_* variables alone) and with ours (`tracekv/otel`), gets every span stored: each reads back through TraceClient.getTrace with identical ids, names, times, attributes, events, links, status, resource and scope, through the face it was sent to, with a token required.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceClient } from '../../src/index.js';
import { DaemonChild } from '../../scripts/testkit/daemon-child.js';
import { removeTempDirs, tempDir } from '../helpers/store-dir.js';
import { expectedStored, runSdkChild, type SdkRun, type SenderSpec } from './sdk-run.js';

const TOKEN = 'otlp-sdk-token';
/** OTEL_EXPORTER_OTLP_HEADERS is a W3C baggage-style list: the space after Bearer is URL-encoded. */
const HEADERS_ENV = `Authorization=Bearer%20${TOKEN}`;

type Face = 'otlpHttp' | 'otlpGrpc' | 'tcp';

interface RunCase {
  name: string;
  face: Face;
  /** Sent as OTLP JSON, which cannot carry a non-finite double. */
  json: boolean;
  spec: (daemon: DaemonChild) => Omit<SenderSpec, 'run'>;
  env?: (daemon: DaemonChild) => Record<string, string>;
}

const httpUrl = (daemon: DaemonChild): string => `http://127.0.0.1:${daemon.otlpHttpPort}/v1/traces`;
const grpcUrl = (daemon: DaemonChild): string => `http://127.0.0.1:${daemon.otlpGrpcPort}`;

const CASES: RunCase[] = [
  ...[false, true].flatMap((gzip): RunCase[] => [
    { name: `proto${gzip ? '-gzip' : ''}`, face: 'otlpHttp', json: false, spec: (d) => ({ sender: 'otlp-proto', endpoint: httpUrl(d), gzip, token: TOKEN }) },
    { name: `json${gzip ? '-gzip' : ''}`, face: 'otlpHttp', json: true, spec: (d) => ({ sender: 'otlp-json', endpoint: httpUrl(d), gzip, token: TOKEN }) },
    { name: `grpc${gzip ? '-gzip' : ''}`, face: 'otlpGrpc', json: false, spec: (d) => ({ sender: 'otlp-grpc', endpoint: grpcUrl(d), gzip, token: TOKEN }) },
  ]),
  // The README's recipe: nothing but the standard variables (the SDK appends /v1/traces to an HTTP endpoint).
  {
    name: 'env-proto-gzip',
    face: 'otlpHttp',
    json: false,
    spec: () => ({ sender: 'otlp-env' }),
    env: (d) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${d.otlpHttpPort}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_HEADERS: HEADERS_ENV }),
  },
  {
    name: 'env-json',
    face: 'otlpHttp',
    json: true,
    spec: () => ({ sender: 'otlp-env' }),
    env: (d) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${d.otlpHttpPort}`, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_HEADERS: HEADERS_ENV }),
  },
  {
    name: 'env-grpc-gzip',
    face: 'otlpGrpc',
    json: false,
    spec: () => ({ sender: 'otlp-env' }),
    env: (d) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: grpcUrl(d), OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_HEADERS: HEADERS_ENV }),
  },
  { name: 'tracekv-exporter', face: 'tcp', json: false, spec: (d) => ({ sender: 'tracekv-exporter', port: d.port, token: TOKEN }) },
  { name: 'tracekv-processor', face: 'tcp', json: false, spec: (d) => ({ sender: 'tracekv-processor', port: d.port, token: TOKEN }) },
];

let daemon: DaemonChild;
let client: TraceClient;
/** Every SDK child, started together in beforeAll (they share 2 cores for a few seconds); each test awaits its own. */
const runs = new Map<string, Promise<SdkRun>>();

beforeAll(async () => {
  // `tracekv serve` from the build, as users run it: --port 0 puts the OTLP receivers on free ports too.
  daemon = await DaemonChild.start({ launch: { serve: { dir: tempDir('otlp-sdk') } }, env: { TRACEKV_TOKEN: TOKEN } });
  expect(daemon.otlpHttpPort).toBeGreaterThan(0);
  expect(daemon.otlpGrpcPort).toBeGreaterThan(0);
  client = await TraceClient.connect({ port: daemon.port, token: TOKEN });
  for (const run of CASES) {
    const promise = runSdkChild({ ...run.spec(daemon), run: run.name }, run.env?.(daemon));
    promise.catch(() => {}); // awaited by its test; a failure must not be an unhandled rejection meanwhile
    runs.set(run.name, promise);
  }
});

afterAll(async () => {
  await Promise.allSettled(runs.values());
  await client?.close();
  const exit = daemon === undefined ? null : await daemon.stop();
  removeTempDirs();
  // A graceful stop: every admitted request answered, the store closed cleanly.
  if (daemon !== undefined) expect(exit).toEqual({ code: 0, signal: null });
});

describe('OpenTelemetry JS SDK → tracekv serve', () => {
  it.each(CASES)('$name: every span reads back identical', async ({ name, json }) => {
    const run = await runs.get(name)!;
    expect(run.spans.length).toBeGreaterThan(100);
    const traceIds = [...new Set(run.spans.map((span) => span.traceId))];
    const traces = await client.getTraces(traceIds);
    for (let i = 0; i < traceIds.length; i++) {
      const sent = run.spans.filter((span) => span.traceId === traceIds[i]);
      const stored = traces[i]?.spans ?? [];
      // Each trace is this run's alone (random ids): exactly its spans, each once.
      expect(stored.map((span) => span.spanId).sort(), `trace ${traceIds[i]}`).toEqual(sent.map((span) => span.spanId).sort());
      const byId = new Map(stored.map((span) => [span.spanId, span]));
      for (const span of sent) expect(byId.get(span.spanId), `${name}: ${span.name}`).toEqual(expectedStored(span, { json }));
    }
  });

  it('refuses an exporter that sends no token (401)', async () => {
    // Nothing of it is stored: the next test counts every span in the store.
    await expect(runSdkChild({ sender: 'otlp-proto', endpoint: httpUrl(daemon), run: 'no-token' })).rejects.toThrow(/sent 0 of \d+ spans/);
  });

  it('stored each run through the face it was sent to, and nothing more', async () => {
    const done = await Promise.all(CASES.map(async (run) => ({ face: run.face, spans: (await runs.get(run.name)!).spans.length })));
    const spansOf = (face: Face) => done.filter((run) => run.face === face).reduce((sum, run) => sum + run.spans, 0);
    const stats = await client.stats();
    expect(stats.store.appendedSpans).toBe(spansOf('otlpHttp') + spansOf('otlpGrpc') + spansOf('tcp'));
    expect(stats.server.otlpHttp).toMatchObject({ spans: spansOf('otlpHttp'), rejectedSpans: 0 });
    expect(stats.server.otlpGrpc).toMatchObject({ spans: spansOf('otlpGrpc'), rejectedSpans: 0 });
    // The only refusals were the token-less exporter's.
    expect(Object.keys((stats.server.otlpHttp as { errorsByStatus: object }).errorsByStatus).filter((status) => status !== '401')).toEqual([]);
    expect((stats.server.otlpGrpc as { errorsByStatus: object }).errorsByStatus).toEqual({});
  });
});
