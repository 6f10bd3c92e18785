/**
 * Keeps tsx's CommonJS hook away from the store's reader workers, so reads are measured on the
 * code the daemon runs.
 *
 * Why: `node --import tsx` installs tsx's ESM hook and its CommonJS hook, and worker threads
 * inherit the flag. Piscina loads its worker file with require() first; under the CommonJS hook,
 * require() of our ESM build in dist/ transpiles every module to CommonJS, whose exports become
 * property getters read on hot paths (walkTrailer, checkTrailer). Measured on 2M W1 spans:
 * getTraces(100) p50 34–38 ms that way, 25–30 ms under plain node or `--import tsx/esm`.
 * With only the ESM hook, require() returns the real ES module (Node ≥ 20.19) or fails and piscina
 * import()s it (older Node): either way the workers run the build as the daemon does.
 *
 * So when the CommonJS hook is active, the benchmark runs itself again under `--import tsx/esm`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { log } from './measure.js';

/** Set in the restarted process (see restarted()). */
const RESTARTED_ENV = 'TRACEKV_BENCH_ESM_ONLY';
const PROBE = new URL('../../dist/constants.js', import.meta.url);

/**
 * True when require() of an ES module from dist/ comes back transpiled (a plain object of getters)
 * rather than as the module itself (Node ≥ 20.19 loads ES modules under require() natively).
 */
export function commonJsHookActive(): boolean {
  if (!fs.existsSync(PROBE)) return false;
  try {
    const loaded: unknown = createRequire(import.meta.url)(PROBE.pathname);
    return Object.prototype.toString.call(loaded) !== '[object Module]';
  } catch {
    return false; // an older Node refuses require() of an ES module: piscina falls back to import()
  }
}

/** True in the process restartEsmOnly started: it must not restart again, whatever hooks it has. */
export function restarted(): boolean {
  return process.env[RESTARTED_ENV] === '1';
}

/** Runs `script` with the same arguments under `--import tsx/esm` (other node flags kept); resolves to its exit code. */
export function restartEsmOnly(script: string): Promise<number> {
  log('tsx CommonJS hook active: running again under --import tsx/esm (see scripts/bench/esm-only.ts)');
  const nodeFlags = withoutTsxImport(process.execArgv);
  // Resolved from here, not from the working directory, so any cwd works.
  const tsxEsm = import.meta.resolve('tsx/esm');
  const child = spawn(process.execPath, [...nodeFlags, '--import', tsxEsm, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [RESTARTED_ENV]: '1' },
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

/** `tsx`, `tsx/…`, or a path into a tsx package. */
const TSX_MODULE = /^tsx($|\/)|[\\/]tsx[\\/]/;

function withoutTsxImport(execArgv: string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const flag = execArgv[i]!;
    const preload = /^(--import|--require|-r)(=(.*))?$/.exec(flag);
    if (preload === null) kept.push(flag);
    else if (preload[3] !== undefined) {
      if (!TSX_MODULE.test(preload[3])) kept.push(flag);
    } else if (TSX_MODULE.test(execArgv[i + 1] ?? '')) i++;
    else kept.push(flag, execArgv[++i]!);
  }
  return kept;
}
