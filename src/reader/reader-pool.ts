/**
 * Where record tasks run: a piscina pool of reader workers, or the calling thread when
 * `readerThreads` is 0. Behind this one module so the pool library can be swapped.
 *
 * Every task has a deadline: a task still running then is aborted (piscina ends that worker and
 * starts a new one) and the call fails with ERR_TIMEOUT. A task whose worker dies is retried once,
 * since reads change nothing; a second death fails the call with ERR_READER_FAILED. An error the
 * task raised comes back as data (record-task.ts toTaskError), its cause's stack included, and is
 * never retried: a bug is ERR_INTERNAL, an errno ERR_IO naming its file.
 */
import { Piscina } from 'piscina';
import type { ReaderCacheStats } from '../api/index.js';
import { TraceKvError, assert } from '../errors.js';
import type { FileLayer } from '../io/file-layer.js';
import { RecordLoader } from './record-loader.js';
import { asReaderError, fromTaskError, runRecordTask, type RecordTask, type RecordTaskResult, type TaskError } from './record-task.js';
import type { ReaderWorkerData } from './reader-worker.js';

export interface RecordExecutor {
  readonly threads: number;
  run(task: RecordTask, deadline: number): Promise<RecordTaskResult>;
  cacheStats(): ReaderCacheStats;
  close(): Promise<void>;
}

function timeoutError(): TraceKvError {
  return new TraceKvError('ERR_TIMEOUT', 'read did not finish within its timeout');
}

/**
 * The worker module beside this one, in the same form as this one: reader-worker.js from the build,
 * reader-worker.ts from the sources. A worker thread inherits the parent's execArgv, so a parent
 * that runs the sources through a TypeScript loader (`node --import tsx`, vitest's pool) gives its
 * workers that loader too; nothing here needs to know which of the two is running.
 */
function workerFile(): string {
  const here = new URL(import.meta.url);
  const extension = here.pathname.slice(here.pathname.lastIndexOf('.'));
  return new URL(`./reader-worker${extension}`, here).href;
}

class CacheTally {
  hits = 0;
  misses = 0;
  private readonly bytesByReader = new Map<number, number>();

  constructor(private readonly bytesMax: number) {}

  add(result: RecordTaskResult, reader: number): void {
    this.hits += result.cacheHits;
    this.misses += result.cacheMisses;
    this.bytesByReader.set(reader, result.cacheBytes);
  }

  stats(): ReaderCacheStats {
    let bytes = 0;
    for (const held of this.bytesByReader.values()) bytes += held;
    return { hits: this.hits, misses: this.misses, bytes, bytesMax: this.bytesMax };
  }
}

class InlineExecutor implements RecordExecutor {
  readonly threads = 0;
  private readonly loader: RecordLoader;
  private readonly tally: CacheTally;

  constructor(fs: FileLayer, cacheBytesMax: number) {
    this.loader = new RecordLoader(fs, cacheBytesMax);
    this.tally = new CacheTally(cacheBytesMax);
  }

  async run(task: RecordTask, deadline: number): Promise<RecordTaskResult> {
    if (performance.now() > deadline) throw timeoutError();
    let result: RecordTaskResult;
    try {
      result = await runRecordTask(task, this.loader);
    } catch (error) {
      // The same error a worker would send back: a bug is ERR_INTERNAL here too.
      throw asReaderError(error);
    }
    this.tally.add(result, 0);
    if (performance.now() > deadline) throw timeoutError();
    return result;
  }

  cacheStats(): ReaderCacheStats {
    return this.tally.stats();
  }

  async close(): Promise<void> {
    this.loader.close();
  }
}

class PoolExecutor implements RecordExecutor {
  private pool: Piscina | null = null;
  private readonly tally: CacheTally;

  constructor(
    readonly threads: number,
    private readonly cacheBytesMax: number,
  ) {
    this.tally = new CacheTally(cacheBytesMax);
  }

  /** Started on the first read, so stores that only write never start threads. */
  private get workers(): Piscina {
    if (this.pool === null) {
      const workerData: ReaderWorkerData = { cacheBytesMax: Math.floor(this.cacheBytesMax / this.threads) };
      this.pool = new Piscina({
        filename: workerFile(),
        minThreads: this.threads,
        maxThreads: this.threads,
        idleTimeout: Number.POSITIVE_INFINITY,
        // Idle workers wait in their event loop, not in Atomics.wait: only a running loop lets
        // V8's memory reducer shrink an idle worker's heap. Blocked, two workers kept 145 → 143 MB
        // RSS after 12 s idle; waiting in the loop, 151 → 126 MB (600 reads of 20 traces, 2M W1
        // spans). getTrace and getTraces(100) took the same time either way (10M spans, alternating).
        atomics: 'disabled',
        workerData,
      });
    }
    return this.pool;
  }

  async run(task: RecordTask, deadline: number): Promise<RecordTaskResult> {
    try {
      return await this.attempt(task, deadline);
    } catch (error) {
      if (error instanceof TraceKvError) throw error;
      // The worker died under the task (crash, out of memory, killed): a read can run again.
      try {
        return await this.attempt(task, deadline);
      } catch (again) {
        if (again instanceof TraceKvError) throw again;
        throw new TraceKvError('ERR_READER_FAILED', `reader worker failed twice: ${(again as Error).message}`, { cause: again });
      }
    }
  }

  private async attempt(task: RecordTask, deadline: number): Promise<RecordTaskResult> {
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw timeoutError();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), remaining);
    try {
      const outcome = (await this.workers.run(task, { signal: abort.signal })) as (RecordTaskResult & { threadId: number }) | { error: TaskError };
      if ('error' in outcome) throw fromTaskError(outcome.error);
      this.tally.add(outcome, outcome.threadId);
      return outcome;
    } catch (error) {
      if (abort.signal.aborted) throw timeoutError();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  cacheStats(): ReaderCacheStats {
    return this.tally.stats();
  }

  /** The live worker threads (diagnostics; the reliability tests kill one mid-request). */
  get workerThreads() {
    return this.pool?.threads ?? [];
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    if (pool !== null) await pool.destroy();
  }
}

export function createExecutor(threads: number, fs: FileLayer, cacheBytesMax: number): RecordExecutor {
  assert(Number.isInteger(threads) && threads >= 0, `reader threads ${threads}`);
  return threads === 0 ? new InlineExecutor(fs, cacheBytesMax) : new PoolExecutor(threads, cacheBytesMax);
}
