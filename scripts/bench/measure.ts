/** Small measuring helpers shared by the benchmark's stages: percentiles, timing, sizes on disk, progress. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Latency {
  p50Ms: number;
  p99Ms: number;
  count: number;
}

/** Progress goes to stderr; stdout carries only the report. */
export function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export function latencyOf(samplesMs: number[]): Latency {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), count: sorted.length };
}

export function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}

/** Bytes of every file under `dir` whose name ends with `suffix`. */
export function dirBytes(dir: string, suffix: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(suffix)) total += fs.statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/** A fresh directory under the OS temp dir; `use` runs with it, and it is removed afterwards. */
export async function withTempDir<T>(prefix: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tracekv-bench-${prefix}-`));
  try {
    return await use(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Calls `report(done)` each time `done` passes another 1/`steps` of `total`. */
export function progressEvery(total: number, steps: number, report: (done: number) => void): (done: number) => void {
  const step = Math.max(1, Math.ceil(total / steps));
  let next = step;
  return (done) => {
    if (done >= next) {
      report(done);
      next = (Math.floor(done / step) + 1) * step;
    }
  };
}

/** Samples this process's RSS every `periodMs` while running `work`; returns the peak and samples taken. */
export async function withRssSampling<T>(periodMs: number, work: () => Promise<T>): Promise<{ result: T; peakRssBytes: number; samples: number }> {
  let peak = process.memoryUsage.rss();
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
    samples++;
  }, periodMs);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, peakRssBytes: peak, samples: samples + 1 };
  } finally {
    clearInterval(timer);
  }
}

/** The machine a result was measured on, as every results file records it. */
export function machineSummary(): { cpus: number; cpuModel: string; memoryBytes: number; node: string } {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryBytes: os.totalmem(), node: process.version };
}

/** Writes `<prefix>-<startedAt>.json` and the same as `<prefix>-latest.json` in `dir`; returns the first's path. */
export function writeResultsFile(dir: string, prefix: string, startedAt: string, results: unknown): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${prefix}-${startedAt.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  fs.copyFileSync(file, path.join(dir, `${prefix}-latest.json`));
  return file;
}

