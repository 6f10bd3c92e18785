/**
 * Ingest through the daemon from a separate process: a `tracekv serve` child (built code in dist/)
 * on a free port, this process as the client, APPENDS_IN_FLIGHT appends pipelined on one
 * connection. The child holds the store and nothing else, so its peak RSS (VmHWM, Linux) is the
 * store's memory during ingest without this process's prebuilt batches.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { TraceClient } from '../../src/index.js';
import { appendAll } from './ingest.js';
import { withTempDir } from './measure.js';

export interface DaemonRun {
  spansPerSec: number;
  ratioToEmbedded: number;
  /** The serve process's peak RSS up to the end of ingest; null where /proc is absent. */
  peakRssBytes: number | null;
}

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
/** How long the child may take to start listening before the run is given up. */
const LISTEN_TIMEOUT_MS = 30_000;

export async function daemonIngest(batches: Uint8Array[], embeddedSpansPerSec: number): Promise<DaemonRun> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (the daemon runs from dist/)`);
  return withTempDir('daemon', async (dir) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const port = await listeningPort(child);
      const client = await TraceClient.connect({ port });
      try {
        const run = await appendAll(client, batches);
        return { spansPerSec: run.spansPerSec, ratioToEmbedded: run.spansPerSec / embeddedSpansPerSec, peakRssBytes: peakRssOf(child.pid!) };
      } finally {
        await client.close();
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
}

function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not listen within ${LISTEN_TIMEOUT_MS} ms`)), LISTEN_TIMEOUT_MS);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as { event?: string; port?: number };
      if (event.event === 'listening' && typeof event.port === 'number') {
        clearTimeout(timer);
        resolve(event.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before listening`));
    });
  });
}

/** VmHWM ("high water mark" RSS) from /proc/<pid>/status, in bytes. */
function peakRssOf(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) * 1024;
  } catch {
    return null;
  }
}
