// Proves that every options object (TraceStore.open, startDaemon, TraceClient.connect, and the read options of getTrace, getTraces, getTracesStream and getSpan, embedded and remote) and every TraceQuery refuses a key it does not know, naming it and the key probably meant, instead of ignoring it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceClient } from '../src/client/trace-client.js';
import { resolveDaemonOptions, type DaemonOptions } from '../src/daemon/daemon-options.js';
import { BatchEncoder, TraceStore, type TraceQuery, type TraceStoreOptions } from '../src/index.js';
import type { ReadOptions } from '../src/api/index.js';
import { FakeServer, SPAN_ID, TRACE_ID } from './client/fake-server.js';
import { removeTempDirs, tempDir } from './helpers/store-dir.js';

const START = 1_000_000_000n;

/** Options with a key their type does not allow; the casts are the point of the test. */
const typo = <T>(options: Record<string, unknown>) => options as T;

describe('TraceStore.open options', () => {
  afterAll(removeTempDirs);

  it('rejects `timeoutMs`, which is a read option, pointing to readTimeoutMs', async () => {
    await expect(TraceStore.open(typo<TraceStoreOptions>({ dir: tempDir('unknown-store'), timeoutMs: 5 }))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      option: 'timeoutMs',
      message: 'option timeoutMs: unknown TraceStore.open option; did you mean readTimeoutMs?',
    });
  });

  it('rejects a wrongly-cased option, suggesting the right spelling', async () => {
    await expect(TraceStore.open(typo<TraceStoreOptions>({ dir: tempDir('unknown-store'), readerthreads: 0 }))).rejects.toMatchObject({
      option: 'readerthreads',
      message: 'option readerthreads: unknown TraceStore.open option; did you mean readerThreads?',
    });
  });

  it('rejects an arbitrary unknown option (even undefined), listing the known ones', async () => {
    const error = TraceStore.open(typo<TraceStoreOptions>({ dir: tempDir('unknown-store'), zzz: undefined }));
    await expect(error).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'zzz' });
    await expect(error).rejects.toThrow(/^option zzz: unknown TraceStore\.open option; want one of dir, durability, compressionLevel, /);
  });
});

describe('startDaemon options', () => {
  it('rejects a daemon option without its unit, pointing to the one meant', () => {
    expect(() => resolveDaemonOptions(typo<DaemonOptions>({ frameDeadline: 5 }))).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'frameDeadline', message: 'option frameDeadline: unknown startDaemon option; did you mean frameDeadlineMs?' }),
    );
    expect(() => resolveDaemonOptions(typo<DaemonOptions>({ storeOptions: {} }))).toThrow('option storeOptions: unknown startDaemon option; did you mean store?');
  });

  it('rejects a missing options object with ERR_INVALID_OPTION, not a TypeError from Object.entries', () => {
    expect(() => resolveDaemonOptions(undefined as unknown as DaemonOptions)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'options' }));
  });

  it('accepts every option of its defaults table', () => {
    expect(resolveDaemonOptions({ frameDeadlineMs: 5, idleTimeoutMs: 9, token: 't', store: {} }).frameDeadlineMs).toBe(5);
  });
});

describe('TraceClient.connect options', () => {
  it('rejects `timeout` and `hostname` before connecting, pointing to timeoutMs and host', async () => {
    await expect(TraceClient.connect(typo({ port: 1, timeout: 5 }))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      option: 'timeout',
      message: 'option timeout: unknown TraceClient.connect option; did you mean timeoutMs?',
    });
    await expect(TraceClient.connect(typo({ port: 1, hostname: 'x' }))).rejects.toThrow('option hostname: unknown TraceClient.connect option; did you mean host?');
  });
});

describe('embedded read options and trace queries', () => {
  let store: TraceStore;
  const traceId = '1'.repeat(32);

  beforeAll(async () => {
    store = await TraceStore.open({ dir: tempDir('unknown-read'), readerThreads: 0 });
    const encoder = new BatchEncoder({ resource: {} });
    encoder.add({ traceId, spanId: '2'.repeat(16), name: 'a', startTimeUnixNano: START, endTimeUnixNano: START + 1n });
    await store.append(encoder.finish());
  });

  afterAll(async () => {
    await store.close();
    removeTempDirs();
  });

  it('rejects a getTrace `timeout` that was silently ignored', async () => {
    await expect(store.getTrace(traceId, typo<ReadOptions>({ timeout: 1 }))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      option: 'timeout',
      message: 'option timeout: unknown read option; did you mean timeoutMs?',
    });
  });

  it('rejects a getTraces `startTime` that silently read the whole trace', async () => {
    await expect(store.getTraces([traceId], typo<ReadOptions>({ startTime: START + 5n }))).rejects.toThrow(
      'option startTime: unknown read option; did you mean startTimeUnixNano?',
    );
  });

  it('rejects an unknown getTracesStream option', async () => {
    const stream = store.getTracesStream([traceId], typo<ReadOptions>({ rawSpans: true }));
    await expect(stream.next()).rejects.toThrow(/^option rawSpans: unknown read option; want one of startTimeUnixNano, endTimeUnixNano, raw, timeoutMs$/);
  });

  it('rejects a getSpan option other than timeoutMs', async () => {
    await expect(store.getSpan(traceId, '2'.repeat(16), typo({ raw: true }))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: 'option raw: unknown getSpan option; want one of timeoutMs',
    });
  });

  it('rejects a TraceQuery `start` bound that was silently ignored, naming the query', async () => {
    await expect(store.getTraces([traceId, typo<TraceQuery>({ traceId, start: START + 5n })])).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: 'traceIds[1]: unknown key "start"; did you mean traceIds[1].startTimeUnixNano?',
    });
  });

  it('still reads with every known option, and known ones set to undefined', async () => {
    const options: ReadOptions = { startTimeUnixNano: START, endTimeUnixNano: undefined, raw: undefined, timeoutMs: 1000 };
    expect((await store.getTrace(traceId, options))?.spans).toHaveLength(1);
    expect(await store.getTraces([{ traceId, startTimeUnixNano: undefined, endTimeUnixNano: START }])).toHaveLength(1);
    expect(await store.getSpan(traceId, '2'.repeat(16), { timeoutMs: undefined })).not.toBeNull();
  });
});

describe('remote read options and trace queries', () => {
  let server: FakeServer;
  let client: TraceClient;

  beforeAll(async () => {
    server = await FakeServer.start((request) => request.connection.reply(request, {}));
    client = await TraceClient.connect({ port: server.port });
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('rejects unknown read options and TraceQuery keys before sending anything', async () => {
    await expect(client.getTrace(TRACE_ID, typo<ReadOptions>({ timeout: 1 }))).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: 'option timeout: unknown read option; did you mean timeoutMs?',
    });
    await expect(client.getTraces([TRACE_ID], typo<ReadOptions>({ end: 1n }))).rejects.toThrow('option end: unknown read option; did you mean endTimeUnixNano?');
    await expect(client.getSpan(TRACE_ID, SPAN_ID, typo({ raw: true }))).rejects.toThrow('option raw: unknown getSpan option; want one of timeoutMs');
    await expect(client.getTraces([typo<TraceQuery>({ traceId: TRACE_ID, endTime: 1n })])).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
      message: 'traceIds[0]: unknown key "endTime"; did you mean traceIds[0].endTimeUnixNano?',
    });
    expect(server.requests).toHaveLength(0);
  });
});
