/**
 * The read path after the index (src/reader/record-task.ts, record-loader.ts): a RecordLoader
 * over a real segment file, runRecordTask slicing the wanted traces' spans out of each record,
 * then the main thread's assembly: decode each record's common section once and every span
 * (decodeSpanRecord, what decodeSpanAt and trace-reader's assemble() both call).
 *
 * The segment holds tracegen batches stored with CODEC_NONE (encodeRecord), so no zstd runs: the
 * figures are the TypeScript around the decompression, which is a native call in production.
 *
 * - cached: the loader's record cache holds every record (the store's default 64 MiB cache holds
 *   a hot working set), so a call is the trailer walk, the span copies and the result buffers.
 * - uncached: a loader without cache, so every call preads the whole record (page cache) and
 *   checks its body CRC (pure JS here) and batch structure before slicing.
 * - getTrace / getTraces 100: cached task plus decode, one trace or 100 across the segment.
 * - decodeSpanAt: every span of one batch through a BatchView.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CODEC_NONE, REQUEST_BYTES_MAX_DEFAULT, SPAN_ID_BYTES, TRACE_BYTES_MAX_DEFAULT, TRACE_ID_BYTES, UNIX_NANO_MAX } from '../src/constants.js';
import { BatchView } from '../src/batch/batch-view.js';
import { decodeCommon } from '../src/batch/common.js';
import { type BatchCommon, decodeSpanAt } from '../src/batch/decoder.js';
import { bytesToHex } from '../src/batch/ids.js';
import { decodeSpanRecord } from '../src/batch/span-codec.js';
import type { Span } from '../src/batch/types.js';
import { segmentFileName } from '../src/filenames.js';
import { nodeFileLayer } from '../src/io/file-layer.js';
import { RecordLoader } from '../src/reader/record-loader.js';
import { type RecordTask, type RecordTaskResult, SPAN_FIELDS, runRecordTask } from '../src/reader/record-task.js';
import { encodeRecord } from '../src/segment/record-codec.js';
import { SegmentWriter } from '../src/segment/segment-writer.js';
import { type BenchBudget, type MicroSuite, SuiteBuilder, check } from './bench-kit.js';
import { SEED, SPANS_PER_BATCH, SPANS_PER_TRACE, TRACES_PER_BATCH, type TracegenBatch, makeRng, tracegenBatches } from './fixtures.js';

/** Read cache of the cached loader: the store's default, larger than the whole bench segment. */
const CACHE_BYTES = 64 * 1024 * 1024;
/** Single-trace tasks cycled through, so calls do not all hit one record. */
const SINGLE_TASKS = 64;
const BULK_TRACES = 100;

interface StoredRecord {
  readonly batch: TracegenBatch;
  readonly fileOffset: number;
  readonly recordLength: number;
}

/** One trace of the segment: record index and trace index within the batch. */
interface Pick {
  readonly record: number;
  readonly trace: number;
}

async function writeSegment(file: string, batches: TracegenBatch[]): Promise<StoredRecord[]> {
  const writer = await SegmentWriter.create(nodeFileLayer, file, { generationId: 1, segmentId: 1, createdAtMs: Date.now() });
  try {
    const records = batches.map((batch) => {
      const { minStartTimeUnixNano, maxStartTimeUnixNano, spanCount } = batch.header;
      const record = encodeRecord(batch.bytes, CODEC_NONE, batch.bytes, minStartTimeUnixNano, maxStartTimeUnixNano, spanCount);
      return { batch, fileOffset: writer.append(record), recordLength: record.length };
    });
    await writer.sync();
    return records;
  } finally {
    writer.close();
  }
}

/** The task the store would plan for `picks`: records in disk order, each with the traces it holds. */
function taskFor(file: string, records: StoredRecord[], picks: Pick[]): RecordTask {
  const traceIds = new Uint8Array(picks.length * TRACE_ID_BYTES);
  const bounds = new BigUint64Array(picks.length * 2);
  picks.forEach((pick, q) => {
    const ids = records[pick.record]!.batch.traceIds;
    traceIds.set(ids.subarray(pick.trace * TRACE_ID_BYTES, (pick.trace + 1) * TRACE_ID_BYTES), q * TRACE_ID_BYTES);
    bounds[2 * q] = 0n;
    bounds[2 * q + 1] = UNIX_NANO_MAX;
  });
  const used = [...new Set(picks.map((pick) => pick.record))].sort((a, b) => a - b);
  const wants: number[] = [];
  for (const r of used) {
    const queries = picks.flatMap((pick, q) => (pick.record === r ? [q] : []));
    wants.push(queries.length);
    for (const q of queries) wants.push(q, SPANS_PER_TRACE);
  }
  return {
    files: used.map(() => file),
    fileOffsets: used.map((r) => records[r]!.fileOffset),
    recordLengths: used.map((r) => records[r]!.recordLength),
    planIndexes: used.map((_, i) => i),
    traceIds,
    bounds,
    wants: Uint32Array.from(wants),
    traceBytesMax: TRACE_BYTES_MAX_DEFAULT,
    requestBytesMax: REQUEST_BYTES_MAX_DEFAULT,
    retentionEpoch: 0,
    raw: false,
    otlp: false,
    fillCache: true,
  };
}

/** trace-reader's assemble() for one result: common sections decoded once per record, then every span. */
function decodeResult(task: RecordTask, result: RecordTaskResult): Span[] {
  const traceIdHex: string[] = [];
  for (let q = 0; q < task.traceIds.length / TRACE_ID_BYTES; q++) traceIdHex.push(bytesToHex(task.traceIds, q * TRACE_ID_BYTES, TRACE_ID_BYTES));
  const commons = new Map<number, BatchCommon>();
  const spans: Span[] = [];
  for (let s = 0; s < result.spans.length / SPAN_FIELDS; s++) {
    const record = result.spans[SPAN_FIELDS * s]!;
    const offset = result.spans[SPAN_FIELDS * s + 2]!;
    let common = commons.get(record);
    if (common === undefined) {
      const at = result.commons[2 * record]!;
      common = decodeCommon(result.bytes.subarray(at, at + result.commons[2 * record + 1]!));
      commons.set(record, common);
    }
    spans.push(
      decodeSpanRecord(
        result.bytes.subarray(offset, offset + result.spans[SPAN_FIELDS * s + 3]!),
        traceIdHex[result.spans[SPAN_FIELDS * s + 1]!]!,
        bytesToHex(result.spanIds, s * SPAN_ID_BYTES, SPAN_ID_BYTES),
        result.starts[s]!,
        common.resource,
        common.scope,
      ),
    );
  }
  return spans;
}

export async function traceAssemblyBench(budget: BenchBudget): Promise<MicroSuite> {
  const suite = new SuiteBuilder('trace-assembly', budget);
  const rng = makeRng(SEED + 3);
  const batches = tracegenBatches(rng, budget.quick ? 4 : 20);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-micro-segment-'));
  suite.onClose(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, segmentFileName(1));
  const records = await writeSegment(file, batches);
  const cached = new RecordLoader(nodeFileLayer, CACHE_BYTES);
  const uncached = new RecordLoader(nodeFileLayer, 0);
  suite.onClose(() => cached.close());
  suite.onClose(() => uncached.close());
  for (const record of records) await cached.load({ file, fileOffset: record.fileOffset, recordLength: record.recordLength }, true);

  const randomPick = (): Pick => ({ record: rng.int(records.length), trace: rng.int(TRACES_PER_BATCH) });
  const singles = Array.from({ length: SINGLE_TASKS }, () => taskFor(file, records, [randomPick()]));
  const all: Pick[] = records.flatMap((_, record) => Array.from({ length: TRACES_PER_BATCH }, (__, trace) => ({ record, trace })));
  for (let i = all.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const bulk = taskFor(file, records, all.slice(0, BULK_TRACES));
  suite.describeData(
    `segment of ${records.length} CODEC_NONE records of ~${records[0]!.recordLength} bytes; the ${BULK_TRACES}-trace read touches ${bulk.files.length} records`,
  );
  let next = 0;
  let spansSliced = 0;
  let calls = 0;
  const decoded = { getTrace: 0, getTraceCalls: 0, bulk: 0, bulkCalls: 0, batch: 0 };

  const sliceOne = async (loader: RecordLoader) => {
    const result = await runRecordTask(singles[next++ % SINGLE_TASKS]!, loader);
    spansSliced += result.spans.length / SPAN_FIELDS;
    calls++;
  };
  const slicedAll = (what: string) => () => {
    check(spansSliced === calls * SPANS_PER_TRACE, `${what}: sliced ${spansSliced} spans in ${calls} calls; want ${SPANS_PER_TRACE} each`);
  };

  suite.add('runRecordTask 1 trace, cached record', () => sliceOne(cached), { unit: 'spans', count: SPANS_PER_TRACE }, { afterAll: slicedAll('cached') });
  suite.add(
    'runRecordTask 1 trace, uncached (pread + CRC + validate)',
    () => sliceOne(uncached),
    { unit: 'spans', count: SPANS_PER_TRACE },
    { afterAll: slicedAll('uncached') },
  );

  suite.add(
    `getTrace: cached task + decode ${SPANS_PER_TRACE} spans`,
    async () => {
      const task = singles[next++ % SINGLE_TASKS]!;
      decoded.getTrace += decodeResult(task, await runRecordTask(task, cached)).length;
      decoded.getTraceCalls++;
    },
    { unit: 'spans', count: SPANS_PER_TRACE },
    { afterAll: () => check(decoded.getTrace === decoded.getTraceCalls * SPANS_PER_TRACE, `getTrace decoded ${decoded.getTrace} spans`) },
  );

  suite.add(
    `getTraces ${BULK_TRACES}: cached task + decode ${BULK_TRACES * SPANS_PER_TRACE} spans`,
    async () => {
      decoded.bulk += decodeResult(bulk, await runRecordTask(bulk, cached)).length;
      decoded.bulkCalls++;
    },
    { unit: 'spans', count: BULK_TRACES * SPANS_PER_TRACE },
    { afterAll: () => check(decoded.bulk === decoded.bulkCalls * BULK_TRACES * SPANS_PER_TRACE, `getTraces decoded ${decoded.bulk} spans`) },
  );

  const view = new BatchView(batches[0]!.bytes, batches[0]!.header);
  const common = decodeCommon(view.commonBytes());
  suite.add(
    `decodeSpanAt ×${SPANS_PER_BATCH} (one batch)`,
    () => {
      let spans = 0;
      for (let i = 0; i < view.spanCount; i++) if (decodeSpanAt(view, i, common).spanId.length > 0) spans++;
      decoded.batch += spans;
    },
    { unit: 'spans', count: SPANS_PER_BATCH },
    { afterAll: () => check(decoded.batch > 0 && decoded.batch % SPANS_PER_BATCH === 0, `decodeSpanAt decoded ${decoded.batch} spans; want whole batches`) },
  );

  return suite.build();
}
