/**
 * The daemon as a child process, for every harness that needs one (the overload and protocol-fuzz
 * campaigns, the daemon benchmark, the SIGTERM test): built code from dist/, in a process of its
 * own, so that its RSS and sockets are its own, a crash cannot take the harness down, and the
 * harness measures it from outside as an operator would (/proc).
 *
 * Two ways to launch it, one handshake: `serve` runs `tracekv serve` itself (dist/cli/main.js, as
 * `npm start` does), for harnesses that test or measure the command users run; `options` runs
 * daemon-child-entry.mjs with any DaemonOptions, for harnesses that set limits the CLI has no flag
 * for. Either logs JSON lines on stdout; the `listening` event carries the port.
 * Stop: SIGTERM (the graceful shutdown), then SIGKILL if it takes longer than the timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import { DAEMON_NODE_FLAGS } from '../../src/constants.js';
import type { DaemonOptions } from '../../src/daemon/daemon-options.js';
import { openSocketCount, procStatusBytes, type StatusSizeField } from './proc.js';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const SERVER_MODULE = new URL('../../dist/daemon/server.js', import.meta.url).pathname;
const ENTRY = new URL('./daemon-child-entry.mjs', import.meta.url).pathname;
/** Startup includes opening (recovering) the store and starting reader threads: generous on a shared machine. */
const START_TIMEOUT_MS = 60_000;
/** A graceful stop finishes in-flight appends, syncs and seals the index. */
export const DAEMON_STOP_TIMEOUT_MS = 60_000;
/** How long a `gc` request may take to be answered. */
const GC_TIMEOUT_MS = 30_000;
/** The end of the child's stderr kept for failure lines: the end holds the stack. */
const STDERR_KEPT_CHARS_MAX = 16_384;

/** What the child runs: `tracekv serve` with flags, or startDaemon with options (JSON: no logger, no TLS buffers). */
export type DaemonLaunch =
  | { serve: { dir: string; flags?: string[] } }
  | {
      options: Omit<DaemonOptions, 'logger' | 'tls'>;
      /**
       * Log only `listening` and `server_error`, not every connection's events. The protocol fuzz
       * opens 10^5 connections and measures the daemon's RSS; logging each one moves RSS by several
       * percent (measured: 11.2% growth with every event logged, 4.9% without, same seed), which is
       * the logger's, not the daemon's.
       */
      quietLogs?: boolean;
    };

export interface DaemonChildSpec {
  launch: DaemonLaunch;
  /** Node flags for the child (--expose-gc makes rssAfterGcBytes work; only with `options`). */
  nodeFlags?: string[];
  /** Environment variables for the child, on top of this process's. */
  env?: Record<string, string>;
}

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A JSON line the child logged: a daemon event, or the entry's answer to `gc`. */
interface ChildEvent {
  event?: string;
  port?: number;
  otlpHttpPort?: number | null;
  otlpGrpcPort?: number | null;
  queryPort?: number | null;
  jaegerPort?: number | null;
  memoryUsage?: unknown;
}

export class DaemonChild {
  port = 0;
  /** The OTLP receivers' ports from the handshake; null when the daemon serves no OTLP (--no-otlp). */
  otlpHttpPort: number | null = null;
  otlpGrpcPort: number | null = null;
  queryPort: number | null = null;
  jaegerPort: number | null = null;
  exit: DaemonExit | null = null;
  /** Resolves when the child has exited, however. */
  readonly exited: Promise<DaemonExit>;
  /** process.memoryUsage() of the daemon at the last rssAfterGcBytes(), as JSON: where RSS growth went. */
  memoryUsage = '';
  private stderr = '';
  private eventWaiters: ((event: ChildEvent) => void)[] = [];
  private stopping: Promise<DaemonExit | null> | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-STDERR_KEPT_CHARS_MAX)));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve((this.exit = { code, signal }))));
    // Every line is read to the end, so the child never blocks on a full pipe.
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: ChildEvent;
      try {
        event = JSON.parse(line) as ChildEvent;
      } catch {
        return;
      }
      for (const waiter of this.eventWaiters.splice(0)) waiter(event);
    });
  }

  static async start(spec: DaemonChildSpec): Promise<DaemonChild> {
    const { launch } = spec;
    const args = 'serve' in launch
      ? [CLI, 'serve', '--port', '0', '--dir', launch.serve.dir, ...(launch.serve.flags ?? [])]
      : [ENTRY, JSON.stringify(launch.options), launch.quietLogs === true ? 'quiet' : 'all'];
    const built = 'serve' in launch ? CLI : SERVER_MODULE;
    if (!fs.existsSync(built)) throw new Error(`${built} is missing: run npm run build first (the daemon runs from dist/)`);
    // The flags `tracekv` and `npm start` run the daemon with, so harnesses measure the daemon users run.
    const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...(spec.nodeFlags ?? []), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...spec.env } });
    const daemon = new DaemonChild(child);
    const listening = await daemon.nextEvent('listening', START_TIMEOUT_MS);
    if (typeof listening?.port !== 'number') {
      child.kill('SIGKILL');
      await daemon.exited;
      throw new Error(`the daemon did not listen within ${START_TIMEOUT_MS} ms (exit ${JSON.stringify(daemon.exit)}): ${daemon.stderrTail()}`);
    }
    daemon.port = listening.port;
    daemon.otlpHttpPort = listening.otlpHttpPort ?? null;
    daemon.otlpGrpcPort = listening.otlpGrpcPort ?? null;
    daemon.queryPort = listening.queryPort ?? null;
    daemon.jaegerPort = listening.jaegerPort ?? null;
    return daemon;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exit === null;
  }

  stderrTail(): string {
    return this.stderr.trim();
  }

  /** A size field of the child's /proc/<pid>/status (VmRSS now, VmHWM the peak), in bytes; NaN when unreadable. */
  rssBytes(field: StatusSizeField): number {
    return this.alive ? procStatusBytes(this.pid, field) : Number.NaN;
  }

  /** The daemon's resident set after full GCs (needs `options` and --expose-gc); NaN if it did not answer. */
  async rssAfterGcBytes(): Promise<number> {
    if (!this.alive) return Number.NaN;
    const answered = this.nextEvent('gc', GC_TIMEOUT_MS);
    this.child.stdin!.write('gc\n');
    const answer = await answered;
    if (answer === null) return Number.NaN;
    this.memoryUsage = JSON.stringify(answer.memoryUsage);
    return procStatusBytes(this.pid, 'VmRSS');
  }

  /** Sockets the daemon holds open: the listener, and every connection it has not closed yet. */
  openSockets(): number {
    return this.alive ? openSocketCount(this.pid) : Number.NaN;
  }

  /** Sends a signal and returns at once: a test that signals mid-load awaits `exited` itself. */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /**
   * SIGTERM, the graceful shutdown; resolves with the exit, or null if it took longer than
   * `timeoutMs` (then it is killed). Idempotent.
   */
  stop(timeoutMs = DAEMON_STOP_TIMEOUT_MS): Promise<DaemonExit | null> {
    this.stopping ??= (async () => {
      if (this.exit !== null) return this.exit;
      this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
      const exit = await Promise.race([this.exited, late]);
      clearTimeout(timer);
      if (exit !== null) return exit;
      this.child.kill('SIGKILL');
      await this.exited;
      return null;
    })();
    return this.stopping;
  }

  /** The child's next event named `name`, or null after `ms` or when it exits first. */
  private nextEvent(name: string, ms: number): Promise<ChildEvent | null> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (event: ChildEvent | null) => {
        clearTimeout(timer);
        this.eventWaiters = this.eventWaiters.filter((waiter) => waiter !== onEvent);
        resolve(event);
      };
      const onEvent = (event: ChildEvent) => {
        if (event.event === name) done(event);
        else this.eventWaiters.push(onEvent);
      };
      timer = setTimeout(() => done(null), ms);
      void this.exited.then(() => done(null));
      this.eventWaiters.push(onEvent);
    });
  }
}
