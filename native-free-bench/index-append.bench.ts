/**
 * Index append (src/index/index-tail.ts): the store's per-record step after the fdatasync,
 * beginRecord, addSpan for every trailer entry of the batch, endRecord, as in
 * src/store/append-pipeline.ts. One call appends one tracegen record: 1000 spans of 100 new
 * traces, so 100 new index entries (10 spans per entry).
 *
 * The tail has the store's default size (262,144 entries, 256 partitions; 16,384 with --quick)
 * and is replaced by an empty one when full, so table sizes and cache misses are those of a tail
 * between empty and sealed. Every record must bring new traces, as tracegen's do: a small pool of
 * real batches is reused with the last id word of every trace rewritten before each call. Both
 * the rewrite and the tail replacement run in beforeEach, outside the timed part.
 */
import { TRAILER_ENTRY_BYTES } from '../src/constants.js';
import { IndexTail } from '../src/index/index-tail.js';
import { type BenchBudget, type MicroSuite, SuiteBuilder, check } from './bench-kit.js';
import {
  PARTITIONS,
  SEED,
  SPANS_PER_BATCH,
  SPANS_PER_TRACE,
  TRACES_PER_BATCH,
  type TracegenBatch,
  indexEntriesFor,
  makeRng,
  trailerStartOf,
  tracegenBatches,
} from './fixtures.js';

/** Byte offset of a trace id's last u32 word: the one rewritten to make the id new. */
const TRACE_ID_LAST_WORD_AT = 12;
/** Segment offsets stay far below the u32 limit; the next segment starts past this. */
const SEGMENT_BYTES_ROLL = 1 << 30;
/** Odd, so multiplying by it permutes u32: distinct trace counters give distinct words. */
const GOLDEN_RATIO_U32 = 0x9e3779b1;

export function indexAppendBench(budget: BenchBudget): MicroSuite {
  const suite = new SuiteBuilder('index-append', budget);
  const tailEntries = indexEntriesFor(budget);
  const pool = tracegenBatches(makeRng(SEED), budget.quick ? 4 : 32);
  let tail = new IndexTail(PARTITIONS, tailEntries);
  suite.describeData(`tail of ${tailEntries} entries, ${PARTITIONS} partitions; a pool of ${pool.length} tracegen batches`);
  let next = 0;
  let traceCounter = 0;
  let segmentId = 1;
  let fileOffset = 32;
  // The record of the next call, set by beforeEach.
  let batch: TracegenBatch = pool[0]!;
  let trailerStart = 0;
  let entriesBefore = 0;
  let entriesAdded = 0;
  let calls = 0;

  const prepareRecord = () => {
    if (tail.isFull) tail = new IndexTail(PARTITIONS, tailEntries);
    batch = pool[next++ % pool.length]!;
    trailerStart = trailerStartOf(batch.header);
    const view = new DataView(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
    for (let t = 0; t < TRACES_PER_BATCH; t++) {
      const word = Math.imul(++traceCounter, GOLDEN_RATIO_U32) >>> 0;
      for (let s = 0; s < SPANS_PER_TRACE; s++) {
        view.setUint32(trailerStart + (t * SPANS_PER_TRACE + s) * TRAILER_ENTRY_BYTES + TRACE_ID_LAST_WORD_AT, word, true);
      }
    }
    if (fileOffset > SEGMENT_BYTES_ROLL) {
      segmentId++;
      fileOffset = 32;
    }
    entriesBefore = tail.entryCount;
  };

  suite.add(
    `append 1 record (${SPANS_PER_BATCH} spans, ${TRACES_PER_BATCH} new traces)`,
    () => {
      const header = batch.header;
      tail.beginRecord(segmentId, fileOffset, batch.bytes.length, header.minStartTimeUnixNano, header.maxStartTimeUnixNano);
      for (let i = 0; i < header.spanCount; i++) tail.addSpans(batch.bytes, trailerStart + i * TRAILER_ENTRY_BYTES, 1);
      tail.endRecord();
      // Here, not in afterEach: tinybench's async detection calls the task once without hooks.
      fileOffset += batch.bytes.length;
    },
    { unit: 'spans', count: SPANS_PER_BATCH },
    {
      beforeEach: prepareRecord,
      afterEach: () => {
        entriesAdded += tail.entryCount - entriesBefore;
        calls++;
      },
      afterAll: () => check(entriesAdded === calls * TRACES_PER_BATCH, `${calls} records added ${entriesAdded} entries; want ${TRACES_PER_BATCH} each`),
    },
  );

  return suite.build();
}
