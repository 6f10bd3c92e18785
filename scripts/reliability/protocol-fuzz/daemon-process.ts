/**
 * The daemon of the TCP fuzz as a child process (daemon-child.mjs): started from the build, watched
 * for an early exit (a crash), measured from outside (VmRSS and open sockets from /proc, the way an
 * operator would see them) and stopped with SIGTERM, whose clean exit is itself a check.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import type { DaemonOptions } from '../../../src/daemon/daemon-options.js';

const CHILD_SCRIPT = new URL('./daemon-child.mjs', import.meta.url).pathname;
const BUILT_DAEMON = new URL('../../../dist/daemon/server.js', import.meta.url).pathname;
/** Startup includes opening the store and starting reader threads: generous on a shared machine. */
const DAEMON_START_MS_MAX = 60_000;
/** How long a `gc` request may take to be answered. */
const DAEMON_GC_MS_MAX = 30_000;
/**
 * The daemon runs with --optimize-for-size: V8 then grows its heaps in bursts (a large read) and
 * keeps them grown far less eagerly, in the reader thread too, where no GC request from outside
 * reaches. Without it RSS swung by tens of MB with V8's sizing alone and drowned the leaks the RSS
 * check is for. A setting a memory-tight deployment may use as well; the protocol is the same.
 */
const DAEMON_V8_FLAGS = ['--expose-gc', '--optimize-for-size'];
/** stderr kept for the failure line of a crash: the end of it holds the stack. */
const STDERR_KEPT_CHARS = 4_000;

export interface DaemonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class DaemonProcess {
  exit: DaemonExit | null = null;
  port = 0;
  /** process.memoryUsage() of the daemon at the last rssAfterGcBytes(), as JSON: where RSS growth went. */
  memoryUsage = '';
  private stderr = '';
  private lineWaiters: ((line: string) => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-STDERR_KEPT_CHARS)));
    child.once('exit', (code, signal) => (this.exit = { code, signal }));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      for (const waiter of this.lineWaiters.splice(0)) waiter(line);
    });
  }

  static async start(options: Omit<DaemonOptions, 'logger'>): Promise<DaemonProcess> {
    if (!fs.existsSync(BUILT_DAEMON)) throw new Error(`${BUILT_DAEMON} is missing: run npm run build first`);
    const child = spawn(process.execPath, [...DAEMON_V8_FLAGS, CHILD_SCRIPT, JSON.stringify(options)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const daemon = new DaemonProcess(child);
    const line = await daemon.nextLine(DAEMON_START_MS_MAX);
    const match = line === null ? null : /^PORT (\d+)$/.exec(line);
    if (match === null) {
      child.kill('SIGKILL');
      throw new Error(`daemon did not start (said ${String(line)}; want PORT n): ${daemon.stderrTail()}`);
    }
    daemon.port = Number(match[1]);
    return daemon;
  }

  /** The child's next stdout line, or null after `ms` or when it exits first. */
  private nextLine(ms: number): Promise<string | null> {
    return new Promise((resolve) => {
      const done = (line: string | null) => {
        clearTimeout(timer);
        this.child.off('exit', onExit);
        resolve(line);
      };
      const onExit = () => done(null);
      const timer = setTimeout(() => done(null), ms);
      this.child.once('exit', onExit);
      this.lineWaiters.push(done);
    });
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

  /** The daemon's resident set after two full GCs, as /proc/<pid>/status reports it. */
  async rssAfterGcBytes(): Promise<number> {
    if (!this.alive) return Number.NaN;
    const answered = this.nextLine(DAEMON_GC_MS_MAX);
    this.child.stdin!.write('gc\n');
    const answer = await answered;
    if (answer === null || !answer.startsWith('gc')) return Number.NaN;
    this.memoryUsage = answer.slice(3);
    try {
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return match === null ? Number.NaN : Number(match[1]) * 1024;
    } catch {
      return Number.NaN;
    }
  }

  /** Sockets the daemon holds open: the listener, and every connection it has not closed yet. */
  openSockets(): number {
    if (!this.alive) return Number.NaN;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${this.pid}/fd`);
    } catch {
      return Number.NaN;
    }
    let sockets = 0;
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${this.pid}/fd/${fd}`).startsWith('socket:')) sockets++;
      } catch {
        // Closed between the listing and the readlink.
      }
    }
    return sockets;
  }

  /** SIGTERM, the graceful shutdown; resolves with the exit, or null if it took longer than `ms` (then it is killed). */
  async stop(ms: number): Promise<DaemonExit | null> {
    if (this.exit !== null) return this.exit;
    const exited = new Promise<DaemonExit>((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.child.kill('SIGTERM');
    const timer = new Promise<null>((resolve) => setTimeout(() => resolve(null), ms).unref());
    const result = await Promise.race([exited, timer]);
    if (result === null) {
      this.child.kill('SIGKILL');
      await exited;
    }
    return result;
  }
}
