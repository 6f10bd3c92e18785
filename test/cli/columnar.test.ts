// Proves the CLI speaks batch version 2 end to end, beside version 1: inspect --spans lists each columnar record's rows in row order (and v1 trailers as before), dump prints every span as the batch decoder reads it (and --trace one trace), get prints decoded spans and with --raw each row's batch and row plus the batch bytes (json and ndjson), verify --deep passes the store and names the file of a flipped byte in a v2 body, and repair salvages around a damaged v2 record so every other trace reads back exactly.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchEncoder, TraceStore, decodeBatch, type AppendResult, type Span, type SpanInput } from '../../src/index.js';
import { ColumnarBatchEncoder } from '../../src/batch/columnar-encoder.js';
import { spanToJson } from '../../src/cli/trace-format.js';
import type { RepairReport } from '../../src/maintenance/repair.js';
import { makeRng } from '../../src/workload/rng.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, segmentFiles, tempDir } from '../helpers/store-dir.js';

const SEED = 0xc011;
const BATCHES = 18;
const TRACES_PER_BATCH = 3;
const SPANS_PER_TRACE = 3;
const T0 = 1_700_000_000_000_000_000n;
const STORE_OPTIONS = { segmentBytesMax: 4096, indexFlushEntries: 16, readerThreads: 0 };
const RESOURCE = { attributes: { 'service.name': 'cli-columnar' } };
/** Every fourth batch (2, 6, 10, 14) is version 1; the rest are version 2. */
const isV1 = (b: number) => b % 4 === 2;

interface Appended {
  version: 1 | 2;
  bytes: Uint8Array;
  result: AppendResult;
  traceIds: string[];
  /** decodeBatch's spans: v1 in add order, v2 in row order (trace run by trace run). */
  spans: Span[];
}

let dir: string;
const appended: Appended[] = [];
/** Each trace's spans in storage order; every trace lives in exactly one batch. */
const want = new Map<string, Span[]>();

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
/** What the CLI prints for a decoded span, through its own conversion. */
const asJson = (span: Span) => JSON.parse(JSON.stringify(spanToJson(span)));
const lines = (stdout: string) => (stdout === '' ? [] : stdout.trimEnd().split('\n').map((line) => JSON.parse(line)));

function batchSpans(rng: ReturnType<typeof makeRng>, b: number): SpanInput[] {
  const spans: SpanInput[] = [];
  for (let t = 0; t < TRACES_PER_BATCH; t++) {
    const traceId = hex(rng.bytes(16));
    const rootId = hex(rng.bytes(8));
    for (let s = 0; s < SPANS_PER_TRACE; s++) {
      const start = T0 + BigInt(b * 1_000_000 + t * 1000 + s * 10);
      spans.push({
        traceId,
        spanId: s === 0 ? rootId : hex(rng.bytes(8)),
        ...(s > 0 && { parentSpanId: rootId }),
        name: `op-${b}-${t}-${s}`,
        kind: s === 0 ? 2 : 3,
        startTimeUnixNano: start,
        endTimeUnixNano: start + BigInt(500 + s),
        attributes: { b, t, s, note: `batch ${b}` },
      });
    }
  }
  // Interleave the traces: span ids are random, so sorting by them mixes the traces.
  return spans.sort((x, y) => String(x.spanId).localeCompare(String(y.spanId)));
}

beforeAll(async () => {
  dir = tempDir('cli-columnar');
  const store = await TraceStore.open({ dir, ...STORE_OPTIONS });
  const rng = makeRng(SEED);
  for (let b = 0; b < BATCHES; b++) {
    const encoder = isV1(b) ? new BatchEncoder({ resource: RESOURCE }) : new ColumnarBatchEncoder({ resource: RESOURCE });
    for (const span of batchSpans(rng, b)) encoder.add(span);
    const bytes = encoder.finish();
    const spans = decodeBatch(bytes).spans;
    const traceIds = [...new Set(spans.map((s) => s.traceId))];
    for (const span of spans) want.set(span.traceId, [...(want.get(span.traceId) ?? []), span]);
    appended.push({ version: isV1(b) ? 1 : 2, bytes, result: await store.append(bytes), traceIds, spans });
  }
  await store.close();
});

afterAll(removeTempDirs);

/** The records of one segment, in file order. */
function recordsIn(segmentId: number): Appended[] {
  return appended.filter((a) => a.result.segmentId === segmentId).sort((x, y) => x.result.fileOffset - y.result.fileOffset);
}

function copyStore(label: string): string {
  const copy = tempDir(label);
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

/** Flips one byte halfway into the body of the record at `offset` (past its 48-byte header). */
async function damageBody(file: string, offset: number): Promise<void> {
  const json = JSON.parse((await runCli(['inspect', '--json', file])).stdout);
  const record = json.records.find((r: { offset: number }) => r.offset === offset);
  expect(record.bodyLength).toBeGreaterThan(100);
  const bytes = fs.readFileSync(file);
  bytes[offset + 48 + Math.floor(record.bodyLength / 2)]! ^= 0x5a;
  fs.writeFileSync(file, bytes);
}

describe('the CLI on a store of version-2 batches', () => {
  it('has v1 and v2 records over several segments, several per segment', () => {
    expect(segmentFiles(dir).length).toBeGreaterThanOrEqual(3);
    expect(recordsIn(1).length).toBeGreaterThan(3);
    expect(appended.filter((a) => a.version === 1).length).toBeGreaterThan(0);
  });

  it('inspect --spans lists each v2 record as rows in row order, and a v1 record as trailer entries', async () => {
    let v1 = 0;
    let v2 = 0;
    for (const file of segmentFiles(dir)) {
      const result = await runCli(['inspect', '--spans', '--json', file]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const json = JSON.parse(result.stdout);
      const expected = recordsIn(json.segmentId);
      expect(json.records.map((r: { offset: number }) => r.offset)).toEqual(expected.map((a) => a.result.fileOffset));
      json.records.forEach((record: Record<string, any>, i: number) => {
        const batch = expected[i]!;
        expect(record.batchVersion).toBe(batch.version);
        expect(record.spans.map((s: Record<string, any>) => [s.traceId, s.spanId])).toEqual(batch.spans.map((s) => [s.traceId, s.spanId]));
        if (batch.version === 2) {
          v2++;
          expect(record.spans.map((s: Record<string, any>) => s.name)).toEqual(batch.spans.map((s) => s.name));
          expect(record.spans.map((s: Record<string, any>) => s.row)).toEqual(batch.spans.map((_, row) => row));
          // Rows are grouped by trace run: one run per trace, in order of each trace's first span.
          expect(new Set(record.spans.map((s: Record<string, any>) => s.run)).size).toBe(TRACES_PER_BATCH);
        } else {
          v1++;
          for (const span of record.spans) expect(span).toMatchObject({ offset: expect.any(Number), length: expect.any(Number) });
        }
      });
    }
    expect(v1).toBe(appended.filter((a) => a.version === 1).length);
    expect(v2).toBe(appended.filter((a) => a.version === 2).length);

    const text = await runCli(['inspect', '--spans', segmentFiles(dir)[0]!]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('batch version 2 (columnar): rows by trace run');
    expect(text.stdout).toMatch(/^ {2}ROW +RUN +TRACE ID +SPAN ID +NAME +START +DURATION$/m);
    expect(text.stdout).toMatch(/^ {2}INDEX +TRACE ID +SPAN ID +OFFSET +LENGTH +START$/m); // batch 2, version 1
    const first = appended[0]!.spans[0]!;
    expect(text.stdout).toMatch(new RegExp(`^ +0 +0 +${first.traceId} +${first.spanId} +${first.name} +\\S+Z +\\S+ [nµm]?s$`, 'm'));
  });

  it('dump prints every span as the batch decoder reads it, in storage order; --trace keeps one trace', async () => {
    const all = await runCli(['dump', dir]);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    expect(lines(all.stdout)).toEqual(appended.flatMap((a) => a.spans).map(asJson));
    const traceId = appended[5]!.traceIds[1]!;
    const one = await runCli(['dump', dir, '--trace', traceId]);
    expect(one.code).toBe(0);
    expect(lines(one.stdout)).toEqual(want.get(traceId)!.map(asJson));
    expect(want.get(traceId)).toHaveLength(SPANS_PER_TRACE);
  });

  it('get prints a v2 trace decoded, and with --raw its rows and the batch bytes (json and ndjson)', async () => {
    const batch = appended[4]!;
    const traceId = batch.traceIds[2]!;
    const decoded = await runCli(['get', traceId, '--dir', dir]);
    expect(decoded.stderr).toBe('');
    expect(decoded.code).toBe(0);
    const trace = JSON.parse(decoded.stdout);
    expect(trace).toMatchObject({ traceId, spanCount: SPANS_PER_TRACE });
    expect(trace.spans.map((s: Record<string, any>) => [s.spanId, s.name])).toEqual(want.get(traceId)!.map((s) => [s.spanId, s.name]));
    expect(trace.spans).toEqual(want.get(traceId)!.map(asJson));
    expect(trace.batches).toBeUndefined();

    const raw = await runCli(['get', traceId, '--dir', dir, '--raw', '--format', 'json']);
    expect(raw.code).toBe(0);
    const rawTrace = JSON.parse(raw.stdout);
    expect(rawTrace.batches).toEqual([hex(batch.bytes)]);
    expect(rawTrace.spans.map((s: Record<string, any>) => s.spanId)).toEqual(want.get(traceId)!.map((s) => s.spanId));
    for (const span of rawTrace.spans) {
      expect(Object.keys(span).sort()).toEqual(['batch', 'row', 'spanId', 'startTime', 'startTimeUnixNano', 'traceId']);
      expect(span.batch).toBe(0);
      const row = batch.spans[span.row]!;
      expect([row.traceId, row.spanId, row.startTimeUnixNano.toString()]).toEqual([span.traceId, span.spanId, span.startTimeUnixNano]);
    }

    const ndjson = await runCli(['get', traceId, '--dir', dir, '--raw', '--format', 'ndjson']);
    expect(ndjson.code).toBe(0);
    expect(lines(ndjson.stdout)).toEqual([{ batch: 0, bytes: hex(batch.bytes) }, ...rawTrace.spans]);

    // A trace of a version-1 batch: record bytes per span, no batches.
    const v1Trace = appended[2]!.traceIds[0]!;
    const v1Raw = JSON.parse((await runCli(['get', v1Trace, '--dir', dir, '--raw'])).stdout);
    expect(v1Raw.batches).toBeUndefined();
    expect(v1Raw.spans.map((s: Record<string, any>) => s.spanId)).toEqual(want.get(v1Trace)!.map((s) => s.spanId));
    for (const span of v1Raw.spans) expect(span.bytes).toMatch(/^([0-9a-f]{2})+$/);
  });

  it('verify --deep passes the store, and names the file and record of a flipped byte in a v2 body (exit 3)', async () => {
    const good = await runCli(['verify', '--deep', '--json', dir]);
    expect(good.stderr).toBe('');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ok: true, problems: [], counters: { records: BATCHES, spans: BATCHES * TRACES_PER_BATCH * SPANS_PER_TRACE } });

    const copy = copyStore('cli-columnar-verify');
    const file = segmentFiles(copy)[1]!;
    const target = recordsIn(2)[1]!;
    expect(target.version).toBe(2);
    await damageBody(file, target.result.fileOffset);
    const bad = await runCli(['verify', '--deep', copy]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toContain(`${file} at offset ${target.result.fileOffset}: record bodyCrc got 0x`);
    expect(bad.stdout.trimEnd().split('\n').at(-1)).toMatch(/^corrupt: \d+ problems?$/);
  });

  it('repair salvages around a damaged v2 record mid-segment; every other trace reads back as decoded', async () => {
    const copy = copyStore('cli-columnar-repair');
    const segment = segmentFiles(copy)[0]!;
    const inSegment = recordsIn(1);
    const damaged = inSegment[1]!;
    expect(damaged.version).toBe(2);
    await damageBody(segment, damaged.result.fileOffset);

    const run = await runCli(['repair', copy, '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RepairReport;
    const spansPerBatch = TRACES_PER_BATCH * SPANS_PER_TRACE;
    expect(report.segments).toMatchObject([
      { path: segment, action: 'salvage', brokenCopy: `${segment}.broken`, recordsKept: inSegment.length - 1, recordsLost: 1, spansLost: spansPerBatch },
    ]);
    expect(report.segments[0]!.damage).toMatchObject([{ kind: 'damage', offset: damaged.result.fileOffset, spans: spansPerBatch, wholeRecord: true }]);
    expect(report).toMatchObject({ recordsKept: BATCHES - 1, recordsLost: 1, reindex: { status: 'done', records: BATCHES - 1 } });

    const store = await TraceStore.open({ dir: copy, ...STORE_OPTIONS });
    try {
      const traceIds = [...want.keys()];
      const traces = await store.getTraces(traceIds);
      const lost = new Set(damaged.traceIds);
      traceIds.forEach((traceId, i) => expect(traces[i], traceId).toEqual(lost.has(traceId) ? null : { traceId, spans: want.get(traceId) }));
    } finally {
      await store.close();
    }
    expect((await runCli(['verify', '--deep', copy])).code).toBe(0);
  });
});
