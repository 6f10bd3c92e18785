// The victim of scripts/crash.ts: opens the store (running recovery), then appends deterministic
// batches with several in flight, printing `ACK <batchNo>` only after that batch's append resolved.
// It runs until killed. Plain JS against the build: a kill -9 campaign starts it hundreds of times.
import { batchFor, BATCH_APPENDS_IN_FLIGHT } from './crash-batches.mjs';

const [dir, firstArg] = process.argv.slice(2);
const { TraceStore } = await import(new URL('../dist/index.js', import.meta.url).href);
const store = await TraceStore.open({ dir, readerThreads: 0, indexFlushEntries: 64, segmentBytesMax: 64 * 1024 });
process.stdout.write('READY\n');
let next = Number(firstArg);
await Promise.all(
  Array.from({ length: BATCH_APPENDS_IN_FLIGHT }, async () => {
    for (;;) {
      const batchNo = next++;
      process.stdout.write(`SENT ${batchNo}\n`);
      await store.append(batchFor(batchNo));
      process.stdout.write(`ACK ${batchNo}\n`);
    }
  }),
);
