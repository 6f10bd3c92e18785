// Proves the native-free micro-benchmarks run end to end with no native addon loaded and report
// every bench, that the guard fails a run that loads one, and that the pure-JS crc32c they measure
// equals the native one. Never asserts speed.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32c, NATIVE_FREE } from '../../src/codec/crc32c.js';
import { makeRng } from '../helpers/rng.js';
import type { MicroReport } from '../../native-free-bench/run.js';

const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-micro-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every task of native-free-bench/*.bench.ts; a bench dropped or renamed fails here. */
const EXPECTED_NAMES = [
  'batch-encode: add 1000 spans + finish',
  'batch-encode: add 1000 spans, no finish',
  'trailer-parse: validateBatch (header + CRC + trailer), 1000 spans',
  'trailer-parse: validateStoredBatch (header + trailer, no CRC), 1000 spans',
  'trailer-parse: crc32c pure JS over the batch',
  'trailer-parse: BatchView open + trailer walk, 1000 spans',
  'index-append: append 1 record (1000 spans, 100 new traces)',
  'index-lookup: tail lookup hit ×1024',
  'index-lookup: tail lookup miss ×1024',
  'index-lookup: traceHash ×1024',
  'chunk-probe: filterProbe hit ×1024',
  'chunk-probe: filterProbe miss ×1024',
  'chunk-probe: ChunkFile.lookup hit ×256',
  'chunk-probe: ChunkFile.lookup miss ×1024',
  'trace-assembly: runRecordTask 1 trace, cached record',
  'trace-assembly: runRecordTask 1 trace, uncached (pread + CRC + validate)',
  'trace-assembly: getTrace: cached task + decode 10 spans',
  'trace-assembly: getTraces 100: cached task + decode 1000 spans',
  'trace-assembly: decodeSpanAt ×1000 (one batch)',
];

/** A fixed seed: the buffers are the same on every run, and a failure names the seed. */
const CRC_SEED = 0x5eed_c4c;
/** Sizes past the small ones: a page, odd sizes around 64 KiB and 1 MiB, a 3 MB batch-sized buffer. */
const CRC_LARGE_LENGTHS = [4096, 65_535, 65_537, 1_048_583, 3_000_001];
const CRC_LENGTHS = [...Array.from({ length: 101 }, (_, n) => n), ...CRC_LARGE_LENGTHS];

function crcBuffer(length: number): Uint8Array {
  return makeRng(CRC_SEED + length).bytes(length);
}

function nodeAddons(): string[] {
  const report = process.report.getReport() as { sharedObjects?: string[] };
  return (report.sharedObjects ?? []).filter((file) => file.endsWith('.node'));
}

describe('native-free-bench/run.ts --quick', () => {
  it('runs every bench with no native module loaded and writes the JSON report', async () => {
    const out = path.join(tmp, 'micro.json');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'native-free-bench/run.ts', '--quick', '--out', out], {
      cwd: repo,
      encoding: 'utf8',
    });
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as MicroReport;
    expect(report.nativeModulesLoaded).toEqual([]);
    expect(report.mode).toBe('quick');
    expect(report.machine).toEqual({
      cpus: expect.any(Number),
      cpuModel: expect.any(String),
      memoryBytes: expect.any(Number),
      node: process.version,
    });
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.results.map((result) => result.name).sort()).toEqual([...EXPECTED_NAMES].sort());
    for (const result of report.results) {
      expect(result, result.name).toEqual({
        name: expect.any(String),
        opsPerSec: expect.any(Number),
        meanNs: expect.any(Number),
        p50Ns: expect.any(Number),
        p99Ns: expect.any(Number),
        perItem: { unit: expect.any(String), perSec: expect.any(Number) },
      });
      expect(Number.isFinite(result.opsPerSec) && Number.isFinite(result.meanNs), result.name).toBe(true);
    }
    // The Markdown table on stdout has a header, a rule and one row per task.
    const rows = stdout.split('\n').filter((line) => line.startsWith('| '));
    expect(rows).toHaveLength(EXPECTED_NAMES.length + 1);
    for (const name of EXPECTED_NAMES) expect(stdout).toContain(`| ${name} |`);
  });

  it('fails, naming the module, when a native addon was loaded before the benches', async () => {
    const out = path.join(tmp, 'guard.json');
    // -r maps the crc32 addon before run.ts installs its hook: the process-report witness sees it.
    const failed = await run(process.execPath, ['--import', 'tsx', '-r', '@node-rs/crc32', 'native-free-bench/run.ts', '--quick', '--out', out], {
      cwd: repo,
      encoding: 'utf8',
    }).then(
      () => null,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed, 'run.ts exited 0 with a native addon loaded').not.toBeNull();
    expect(failed!.code).toBe(1);
    expect(failed!.stderr).toMatch(/native module\(s\) loaded in a native-free run: .*crc32.*\.node/);
  });

  it('the dlopen hook alone names an addon loaded after it is installed', async () => {
    const guard = pathToFileURL(path.join(repo, 'native-free-bench/native-guard.ts')).href;
    // The hook-only check reads no process report: this proves witness 1 on its own.
    const script = `
      const { assertNoNativeModules, installDlopenGuard } = await import(${JSON.stringify(guard)});
      installDlopenGuard();
      assertNoNativeModules('before', 'hook');
      const { createRequire } = await import('node:module');
      createRequire(${JSON.stringify(path.join(repo, 'package.json'))})('@node-rs/crc32');
      try {
        assertNoNativeModules('after', 'hook');
        process.stdout.write('not caught');
      } catch (error) {
        process.stdout.write(error.message);
      }
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
    expect(stdout).toMatch(/^after: native module\(s\) loaded in a native-free run: .*crc32.*\.node/);
  });
});

describe('pure-JS crc32c (TRACEKV_NATIVE_FREE=1)', () => {
  it(`equals the native crc32c for lengths 0..100 and ${CRC_LARGE_LENGTHS.join(', ')} (seed ${CRC_SEED})`, async () => {
    // This process must hold the native addon, or the comparison would be JS against JS.
    expect(NATIVE_FREE, 'the test process runs with TRACEKV_NATIVE_FREE=1; unset it').toBe(false);
    expect(nodeAddons().some((file) => file.includes('crc32'))).toBe(true);

    const script = `
      const { crc32c, NATIVE_FREE } = await import(${JSON.stringify(pathToFileURL(path.join(repo, 'src/codec/crc32c.ts')).href)});
      const { makeRng } = await import(${JSON.stringify(pathToFileURL(path.join(repo, 'src/workload/rng.ts')).href)});
      const crcs = ${JSON.stringify(CRC_LENGTHS)}.map((length) => {
        const bytes = makeRng(${CRC_SEED} + length).bytes(length);
        // The whole buffer, and an inner range (start > 0, end < length) through the subarray path.
        return [crc32c(bytes), crc32c(bytes, Math.min(3, length), Math.max(Math.min(3, length), length - 5))];
      });
      const addons = process.report.getReport().sharedObjects.filter((file) => file.endsWith('.node'));
      process.stdout.write(JSON.stringify({ nativeFree: NATIVE_FREE, addons, crcs }));
    `;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, TRACEKV_NATIVE_FREE: '1' },
      maxBuffer: 1 << 20,
    });
    const child = JSON.parse(stdout) as { nativeFree: boolean; addons: string[]; crcs: [number, number][] };
    expect(child.nativeFree).toBe(true);
    expect(child.addons, 'the pure-JS child mapped an addon').toEqual([]);
    CRC_LENGTHS.forEach((length, i) => {
      const bytes = crcBuffer(length);
      const start = Math.min(3, length);
      const end = Math.max(start, length - 5);
      expect(child.crcs[i], `length ${length}, seed ${CRC_SEED}`).toEqual([crc32c(bytes), crc32c(bytes, start, end)]);
    });
  });
});
