/** A daemon on a free port over a fresh temp store, and the small padded batches the daemon tests send it. */
import { BatchEncoder } from '../../src/index.js';
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import type { DaemonOptions } from '../../src/daemon/daemon-options.js';
import { tempDir } from './store-dir.js';

const quiet = () => {};

export function daemonWith(label: string, options: DaemonOptions = {}): Promise<Daemon> {
  return startDaemon({ dir: tempDir(label), port: 0, logger: quiet, ...options });
}

/** Trace `traceNo` (id traceNo + 1, zero-padded) as one batch of `spans` spans, each with a `padBytes`-byte attribute. */
export function paddedBatch(service: string, traceNo: number, spans = 1, padBytes = 0): Uint8Array {
  const encoder = new BatchEncoder({ resource: { attributes: { 'service.name': service } } });
  for (let s = 1; s <= spans; s++) {
    encoder.add({
      traceId: (traceNo + 1).toString(16).padStart(32, '0'),
      spanId: s.toString(16).padStart(16, '0'),
      name: `t${traceNo}`,
      startTimeUnixNano: 1n,
      endTimeUnixNano: 2n,
      attributes: { pad: 'p'.repeat(padBytes) },
    });
  }
  return encoder.finish();
}
