/**
 * What every bench file shares: the time budget, a tinybench Bench wired to the native-free guard,
 * and the count of items (spans, lookups, bytes) one task call covers, from which the runner
 * derives per-item rates.
 *
 * A task whose single operation is far below a microsecond (a filter probe, a tail lookup) runs a
 * fixed loop of them per call: one performance.now() costs ~50 ns, which per-call timing would
 * measure instead.
 */
import { Bench, type Fn, type FnOptions } from 'tinybench';
import { assertNoNativeModules } from './native-guard.js';

export interface BenchBudget {
  /** `--quick`: tiny budgets and data, for the test suite. The figures then mean nothing. */
  readonly quick: boolean;
  /** Measured time per task, in ms (tinybench `time`). */
  readonly timeMs: number;
  /** Warm-up time per task, in ms, so the measured calls run optimized code. */
  readonly warmupTimeMs: number;
  /** Measured calls per task at least, even past timeMs. */
  readonly iterationsMin: number;
  readonly warmupIterationsMin: number;
}

export const FULL_BUDGET: BenchBudget = { quick: false, timeMs: 2500, warmupTimeMs: 500, iterationsMin: 64, warmupIterationsMin: 16 };
export const QUICK_BUDGET: BenchBudget = { quick: true, timeMs: 50, warmupTimeMs: 10, iterationsMin: 4, warmupIterationsMin: 2 };

/** What one call of a task covers: `count` items of `unit` (spans, lookups, bytes). */
export interface ItemsPerCall {
  readonly unit: string;
  readonly count: number;
}

/** One bench file's registered tasks, ready to run; close() removes whatever setup created. */
export interface MicroSuite {
  readonly name: string;
  /** What the tasks run on (sizes of tail, chunk, batch), for the progress log. */
  readonly data: string;
  readonly bench: Bench;
  readonly items: ReadonlyMap<string, ItemsPerCall>;
  close(): Promise<void>;
}

/** Builds a MicroSuite: task names are prefixed with the suite name, so they are unique in a run. */
export class SuiteBuilder {
  readonly bench: Bench;
  private readonly items = new Map<string, ItemsPerCall>();
  private readonly cleanups: (() => void | Promise<void>)[] = [];
  private data = '';

  constructor(
    readonly name: string,
    budget: BenchBudget,
  ) {
    // The suite's data is built after this check and its tasks run after the per-task one below,
    // so an addon loaded by setup code or by an earlier task is caught at the first task after it.
    assertNoNativeModules(`bench ${name}`);
    this.bench = new Bench({
      name,
      time: budget.timeMs,
      warmupTime: budget.warmupTimeMs,
      iterations: budget.iterationsMin,
      warmupIterations: budget.warmupIterationsMin,
      throws: true,
      setup: (task) => assertNoNativeModules(`bench task ${task?.name ?? name}`, 'hook'),
    });
  }

  /** Registers `fn` as `<suite>: <task>`; `items` says what one call covers, for the per-item rate. */
  add(task: string, fn: Fn, items?: ItemsPerCall, options?: FnOptions): void {
    const name = `${this.name}: ${task}`;
    this.bench.add(name, fn, options);
    if (items !== undefined) this.items.set(name, items);
  }

  /** One line on the data the tasks run on; the runner logs it. */
  describeData(data: string): void {
    this.data = data;
  }

  /** Runs at close(), last registered first (temp dirs, open files). */
  onClose(cleanup: () => void | Promise<void>): void {
    this.cleanups.push(cleanup);
  }

  build(): MicroSuite {
    const cleanups = this.cleanups;
    return {
      name: this.name,
      data: this.data,
      bench: this.bench,
      items: this.items,
      async close() {
        for (const cleanup of cleanups.reverse()) await cleanup();
      },
    };
  }
}

/** A check that runs after a task's measured calls (tinybench afterAll), failing the run loudly. */
export function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`BUG: bench check failed: ${message}`);
}
