// Proves the index bug the corruption sweep found stays fixed: damage in a chunk's entries region (checked only bucket by bucket on reads) made those reads fail for good; now recovery checks every bucket CRC, sets the chunk aside and rebuilds it from the segments.
import { describe, expect, it } from 'vitest';
import { SimulatedDisk } from '../../scripts/reliability/simulated-disk.js';
import { TraceStore, type RawSpan, type Trace, type TraceStoreOptions } from '../../src/index.js';
import { batchFor, traceIdOf } from '../../scripts/reliability/ledger.js';

const BATCHES = 40;
const options = (disk: SimulatedDisk): TraceStoreOptions => ({ dir: '/s', fileLayer: disk, readerThreads: 0, indexFlushEntries: 16, partitions: 2 });

describe('found by the corruption sweep', () => {
  it('a damaged index bucket failed reads instead of being rebuilt: recovery sets the chunk aside and re-derives it', async () => {
    const disk = new SimulatedDisk();
    const store = await TraceStore.open(options(disk));
    for (let n = 0; n < BATCHES; n++) await store.append(batchFor(n));
    await store.close();
    const chunk = disk.listFiles('/s').find((path) => path.endsWith('idx-0000000001.tki'))!;
    const bytes = disk.fileBytes(chunk);
    // The entries region is the end of the file: its last byte belongs to some bucket.
    bytes[bytes.length - 1]! ^= 0xff;
    disk.setFileBytes(chunk, bytes);
    const reopened = await TraceStore.open(options(disk));
    // The damaged chunk and every later one of its generation are set aside (§5.5 pass 2).
    expect(reopened.stats().recovery.brokenChunks[0]).toBe(chunk);
    const traces = (await reopened.getTraces(Array.from({ length: BATCHES }, (_, n) => traceIdOf(n)), { raw: true })) as (Trace<RawSpan> | null)[];
    expect(traces.every((trace) => trace !== null && trace.spans.length === 4)).toBe(true);
    await reopened.close();
    expect(disk.exists(`${chunk}.broken`)).toBe(true);
  });
});
