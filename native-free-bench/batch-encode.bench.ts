/**
 * Client-side batch encoding (src/batch/encoder.ts): BatchEncoder.add of 1000 tracegen spans
 * (msgpack the record, parse hex ids, write the trailer entry), then finish() (assemble the batch
 * and its CRC, pure JS here). A second task resets instead of finishing, so the difference is
 * finish() alone. The span objects and the encoder are built once; only add and finish are timed.
 */
import { type BenchBudget, type MicroSuite, SuiteBuilder, check } from './bench-kit.js';
import { SEED, SPANS_PER_BATCH, TRACES_PER_BATCH, makeRng, newEncoder, tracegenTraces } from './fixtures.js';

export function batchEncodeBench(budget: BenchBudget): MicroSuite {
  const suite = new SuiteBuilder('batch-encode', budget);
  const spans = tracegenTraces(makeRng(SEED), 0, TRACES_PER_BATCH).flat();
  const encoder = newEncoder(0);
  suite.describeData(`${TRACES_PER_BATCH} tracegen traces, ${spans.length} span objects`);
  let bytesOut = 0;
  let spansAdded = 0;

  suite.add(
    `add ${SPANS_PER_BATCH} spans + finish`,
    () => {
      for (let i = 0; i < spans.length; i++) encoder.add(spans[i]!);
      bytesOut += encoder.finish().length;
    },
    { unit: 'spans', count: SPANS_PER_BATCH },
    { afterAll: () => check(bytesOut > 0 && encoder.spanCount === 0, 'finish() produced batches and reset the encoder') },
  );

  suite.add(
    `add ${SPANS_PER_BATCH} spans, no finish`,
    () => {
      for (let i = 0; i < spans.length; i++) encoder.add(spans[i]!);
      spansAdded += encoder.spanCount;
      encoder.reset();
    },
    { unit: 'spans', count: SPANS_PER_BATCH },
    { afterAll: () => check(spansAdded % SPANS_PER_BATCH === 0 && spansAdded > 0, `added ${spansAdded} spans`) },
  );

  return suite.build();
}
