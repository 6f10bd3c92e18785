/**
 * The overload campaign's daemon: startDaemon (built code in dist/) in a child process of its own,
 * so that its RSS (/proc/<pid>/status, Linux) measures the daemon alone, not the load generator's
 * heap. The child logs JSON lines on stdout (the daemon's default logger) and stops gracefully on
 * SIGTERM, as `tracekv serve` does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { REQUEST_OVERHEAD_BYTES } from '../../../src/constants.js';

/**
 * What the daemon charges each request against inFlightBytesMax besides its payload
 * (src/daemon/in-flight-budget.ts): the campaign sizes the budget in whole appends with it.
 */
export const DAEMON_REQUEST_OVERHEAD_BYTES = REQUEST_OVERHEAD_BYTES;
/** How long the child may take to open the store and listen. */
const LISTEN_TIMEOUT_MS = 30_000;
/** How long a graceful stop (finish appends, sync, seal the index) may take before SIGKILL. */
const STOP_TIMEOUT_MS = 30_000;
/** The end of the child's stderr kept for failure lines. */
const STDERR_KEPT_CHARS_MAX = 16_384;
/** One reader thread: reads only verify, and each thread costs RSS the budget would have to carry. */
const READER_THREADS = 1;

/** The limits the campaign sets; each one bounds a term of its RSS budget. */
export interface DaemonLimits {
  inFlightBytesMax: number;
  frameBytesMax: number;
  pendingOutputBytesMax: number;
  readCacheBytesMax: number;
  indexFlushEntries: number;
}

export interface DaemonChild {
  pid: number;
  port: number;
  /** A size field of /proc/<pid>/status (VmRSS now, VmHWM the peak), in bytes; NaN when unreadable. */
  rssBytes(field: 'VmRSS' | 'VmHWM'): number;
  /** SIGTERM, then the exit code (null if it had to be killed). Idempotent. */
  stop(): Promise<number | null>;
  stderr(): string;
}

const SERVER_MODULE = new URL('../../../dist/daemon/server.js', import.meta.url);
const CHILD_SOURCE = `
const [serverUrl, optionsJson] = process.argv.slice(1);
const { startDaemon } = await import(serverUrl);
const daemon = await startDaemon(JSON.parse(optionsJson));
process.on('SIGTERM', () => daemon.close().then(
  () => process.exit(0),
  (error) => { process.stderr.write(String(error && error.stack || error) + '\\n'); process.exit(1); },
));
// The campaign holds the other end of stdin: if it dies without stopping us, do not linger.
process.stdin.on('end', () => process.exit(2)).resume();
`;

export async function startDaemonChild(dir: string, limits: DaemonLimits): Promise<DaemonChild> {
  if (!fs.existsSync(SERVER_MODULE)) throw new Error(`${SERVER_MODULE.pathname} is missing: run npm run build first (the daemon runs from dist/)`);
  const { readCacheBytesMax, indexFlushEntries, ...daemonLimits } = limits;
  const options = { dir, port: 0, ...daemonLimits, store: { readerThreads: READER_THREADS, readCacheBytesMax, indexFlushEntries } };
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SOURCE, SERVER_MODULE.href, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-STDERR_KEPT_CHARS_MAX)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let port: number;
  try {
    port = await listeningPort(child.stdout, exited);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(error as Error).message}: ${stderr}`);
  }
  const pid = child.pid!;
  let stopping: Promise<number | null> | null = null;
  return {
    pid,
    port,
    rssBytes: (field) => statusBytes(pid, field),
    stderr: () => stderr,
    stop() {
      stopping ??= (async () => {
        child.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_TIMEOUT_MS)));
        const code = await Promise.race([exited, late]);
        clearTimeout(timer);
        if (code !== 'late') return code;
        child.kill('SIGKILL');
        await exited;
        return null;
      })();
      return stopping;
    },
  };
}

function listeningPort(stdout: NodeJS.ReadableStream, exited: Promise<number | null>): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the daemon did not listen within ${LISTEN_TIMEOUT_MS} ms`)), LISTEN_TIMEOUT_MS);
    // Every line is read to the end, so the child never blocks on a full pipe.
    readline.createInterface({ input: stdout }).on('line', (line) => {
      let event: { event?: string; port?: number };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return;
      }
      if (event.event === 'listening' && typeof event.port === 'number') {
        clearTimeout(timer);
        resolve(event.port);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the daemon exited with ${String(code)} before listening`));
    });
  });
}

function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? Number.NaN : Number(match[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}
