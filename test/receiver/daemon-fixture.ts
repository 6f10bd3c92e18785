/** Test-only: an embedded daemon on port 0 (its OTLP ports follow: 0 too), whose fdatasync a test can hold or fail, to keep a request in flight or make the store fail on cue. */
import { startDaemon, type Daemon } from '../../src/daemon/server.js';
import type { DaemonOptions } from '../../src/daemon/daemon-options.js';
import { nodeFileLayer, type FileLayer } from '../../src/io/index.js';
import { tempDir } from '../helpers/store-dir.js';

export class SyncGate {
  private held: Promise<void> | null = null;
  private releaseHeld: (() => void) | null = null;
  /** Syncs waiting at the gate. */
  waiting = 0;
  /** When set, every fdatasync fails with it (an I/O fault). */
  failure: Error | null = null;

  hold(): void {
    this.held = new Promise((resolve) => (this.releaseHeld = resolve));
  }

  release(): void {
    this.releaseHeld?.();
    this.held = null;
    this.releaseHeld = null;
  }

  readonly fileLayer: FileLayer = {
    ...nodeFileLayer,
    fdatasync: async (fd) => {
      if (this.held !== null) {
        this.waiting++;
        await this.held;
        this.waiting--;
      }
      if (this.failure !== null) throw this.failure;
      return nodeFileLayer.fdatasync(fd);
    },
  };
}

export const quiet = (): void => {};

export function otlpDaemon(options: DaemonOptions = {}, gate?: SyncGate): Promise<Daemon> {
  return startDaemon({
    dir: tempDir('receiver'),
    port: 0,
    logger: quiet,
    ...options,
    store: { readerThreads: 0, ...options.store, ...(gate !== undefined ? { fileLayer: gate.fileLayer } : {}) },
  });
}

/** Resolves once `condition` holds, polling the event loop (no timing is asserted). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 2));
}
