/**
 * The store's append-time check of a client batch (src/batch/validate.ts), split into its parts:
 *
 * - validateBatch: header, section lengths, footer, whole-batch CRC and the trailer walk, exactly
 *   what every append runs. Native-free, the CRC is pure JS and dominates.
 * - validateStoredBatch: the same checks without the CRC (the read side's variant), so the
 *   header + trailer walk shows on its own.
 * - crc32c over the same bytes alone (pure JS here; the native addon is ~5 GB/s).
 * - BatchView: open a view and walk its trailer the way the index and read paths do (trace id
 *   offset and a start-time range test per span).
 *
 * One 1000-span tracegen batch, encoded once before the tasks run.
 */
import { BATCH_BYTES_LIMIT, BATCH_SPANS_LIMIT } from '../src/constants.js';
import { BatchView } from '../src/batch/batch-view.js';
import { validateBatch, validateStoredBatch } from '../src/batch/validate.js';
import { crc32c } from '../src/codec/crc32c.js';
import { readU32LE, u64Hi, u64Lo } from '../src/codec/little-endian.js';
import { type BenchBudget, type MicroSuite, SuiteBuilder, check } from './bench-kit.js';
import { SEED, SPANS_PER_BATCH, makeRng, tracegenBatches } from './fixtures.js';

const LIMITS = { batchBytesMax: BATCH_BYTES_LIMIT, batchSpansMax: BATCH_SPANS_LIMIT };

export function trailerParseBench(budget: BenchBudget): MicroSuite {
  const suite = new SuiteBuilder('trailer-parse', budget);
  const [batch] = tracegenBatches(makeRng(SEED), 1);
  const bytes = batch!.bytes;
  const header = batch!.header;
  suite.describeData(`one tracegen batch of ${SPANS_PER_BATCH} spans, ${bytes.length} bytes`);
  // The batch's own time range as u32 halves: every span passes, so the walk reads every entry.
  const minHi = u64Hi(header.minStartTimeUnixNano);
  const minLo = u64Lo(header.minStartTimeUnixNano);
  const maxHi = u64Hi(header.maxStartTimeUnixNano);
  const maxLo = u64Lo(header.maxStartTimeUnixNano);
  let spansSeen = 0;
  let walkSum = 0;
  const crcStored = readU32LE(bytes, bytes.length - 8);
  let crcGot = -1;

  suite.add(
    `validateBatch (header + CRC + trailer), ${SPANS_PER_BATCH} spans`,
    () => {
      spansSeen += validateBatch(bytes, LIMITS).spanCount;
    },
    { unit: 'spans', count: SPANS_PER_BATCH },
  );

  suite.add(
    `validateStoredBatch (header + trailer, no CRC), ${SPANS_PER_BATCH} spans`,
    () => {
      spansSeen += validateStoredBatch(bytes).spanCount;
    },
    { unit: 'spans', count: SPANS_PER_BATCH },
  );

  suite.add(
    'crc32c pure JS over the batch',
    () => {
      crcGot = crc32c(bytes, 0, bytes.length - 8);
    },
    { unit: 'bytes', count: bytes.length - 8 },
    { afterAll: () => check(crcGot === crcStored, `crc32c got ${crcGot}; want the stored batchCrc ${crcStored}`) },
  );

  suite.add(
    `BatchView open + trailer walk, ${SPANS_PER_BATCH} spans`,
    () => {
      const view = new BatchView(bytes, header);
      let sum = 0;
      for (let i = 0; i < view.spanCount; i++) {
        if (view.startTimeInRange(i, minHi, minLo, maxHi, maxLo)) sum += view.traceIdOffset(i);
      }
      walkSum += sum;
    },
    { unit: 'spans', count: SPANS_PER_BATCH },
    { afterAll: () => check(walkSum > 0 && spansSeen > 0, 'the validate and walk tasks saw every span') },
  );

  return suite.build();
}
