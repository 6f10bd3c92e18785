/**
 * Ingest through the daemon from a separate process: a `tracekv serve` child (built code in dist/,
 * scripts/testkit/daemon-child.ts) on a free port, this process as the client, APPENDS_IN_FLIGHT
 * appends pipelined on one connection. The child holds the store and nothing else, so its peak RSS
 * (VmHWM, Linux) is the store's memory during ingest without this process's prebuilt batches.
 */
import { TraceClient } from '../../src/index.js';
import { DaemonChild } from '../testkit/daemon-child.js';
import { appendAll } from './ingest.js';
import { withTempDir } from './measure.js';

export interface DaemonRun {
  spansPerSec: number;
  ratioToEmbedded: number;
  /** The serve process's peak RSS up to the end of ingest; null where /proc is absent. */
  peakRssBytes: number | null;
}

export async function daemonIngest(batches: Uint8Array[], embeddedSpansPerSec: number): Promise<DaemonRun> {
  return withTempDir('daemon', async (dir) => {
    const daemon = await DaemonChild.start({ launch: { serve: { dir } } });
    try {
      const client = await TraceClient.connect({ port: daemon.port });
      try {
        const run = await appendAll(client, batches);
        const peakRssBytes = daemon.rssBytes('VmHWM');
        return { spansPerSec: run.spansPerSec, ratioToEmbedded: run.spansPerSec / embeddedSpansPerSec, peakRssBytes: Number.isNaN(peakRssBytes) ? null : peakRssBytes };
      } finally {
        await client.close();
      }
    } finally {
      await daemon.stop();
    }
  });
}
