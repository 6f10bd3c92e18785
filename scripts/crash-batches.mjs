// Deterministic batches for the kill -9 campaign: batch n is the same bytes in the child that
// appends it and in the parent that checks it. Trace n+1 holds exactly the 5 spans of batch n.
// Odd n are batch version 2, even n version 1.
const { BatchEncoder, ColumnarBatchEncoder } = await import(new URL('../dist/index.js', import.meta.url).href);

export const SPANS_PER_BATCH = 5;
export const BATCH_APPENDS_IN_FLIGHT = 4;

export function traceIdOf(batchNo) {
  return (batchNo + 1).toString(16).padStart(32, '0');
}

export function batchFor(batchNo) {
  // Odd batches are version 2 (columns), even ones version 1: both must survive every kill alike.
  const Encoder = batchNo % 2 === 1 ? ColumnarBatchEncoder : BatchEncoder;
  const encoder = new Encoder({ resource: { attributes: { 'service.name': `crash-${batchNo % 7}` } } });
  for (let s = 1; s <= SPANS_PER_BATCH; s++) {
    const start = 1_700_000_000_000_000_000n + BigInt(batchNo) * 1000n + BigInt(s);
    encoder.add({
      traceId: traceIdOf(batchNo),
      spanId: s.toString(16).padStart(16, '0'),
      name: `b${batchNo}s${s}`,
      startTimeUnixNano: start,
      endTimeUnixNano: start + 500n,
      attributes: { n: batchNo, pad: `${batchNo}`.repeat(20 + (batchNo % 13)) },
    });
  }
  return encoder.finish();
}
