/**
 * Ingest through the daemon from a separate process: a `tracekv serve` child (built code in dist/,
 * scripts/testkit/daemon-child.ts) on a free port, this process as the client, APPENDS_IN_FLIGHT
 * appends pipelined on one connection. The child holds the store and nothing else, so its peak RSS
 * (VmHWM, Linux) is the store's memory during ingest without this process's prebuilt batches.
 * Then, with the whole workload in it, its query faces are measured from this process.
 */
import { TraceClient } from '../../src/index.js';
import { DaemonChild } from '../testkit/daemon-child.js';
import { appendAll } from './ingest.js';
import { log, withTempDir } from './measure.js';
import { measureQueryFaces, type QueryFacesFigures } from './query-faces.js';
import type { PreparedWorkload } from './workloads.js';

export interface DaemonRun {
  spansPerSec: number;
  ratioToEmbedded: number;
  /** The serve process's peak RSS up to the end of ingest; null where /proc is absent. */
  peakRssBytes: number | null;
  /** Its query faces, on the ingested workload, from this process (query-faces.ts). */
  queryFaces: QueryFacesFigures;
}

export interface QueryFacesSettings {
  lookups: number;
  bulkRounds: number;
  seed: number;
}

export async function daemonIngest(workload: PreparedWorkload, embeddedSpansPerSec: number, query: QueryFacesSettings): Promise<DaemonRun> {
  const { batches } = workload;
  return withTempDir('daemon', async (dir) => {
    const daemon = await DaemonChild.start({ launch: { serve: { dir } } });
    try {
      const client = await TraceClient.connect({ port: daemon.port });
      try {
        const run = await appendAll(client, batches);
        const peakRssBytes = daemon.rssBytes('VmHWM');
        log(`${workload.name}: the daemon's query faces (Tempo v2 protobuf, traces:batch, /metrics) from this process`);
        const queryFaces = await measureQueryFaces(daemon.queryPort!, workload, query.lookups, query.bulkRounds, query.seed);
        return { spansPerSec: run.spansPerSec, ratioToEmbedded: run.spansPerSec / embeddedSpansPerSec, peakRssBytes: Number.isNaN(peakRssBytes) ? null : peakRssBytes, queryFaces };
      } finally {
        await client.close();
      }
    } finally {
      await daemon.stop();
    }
  });
}
