/**
 * The proof that a native-free run loaded no native addon. Two independent witnesses:
 *
 * 1. A wrapper around `process.dlopen`, the one door through which Node's CommonJS loader (and
 *    every `require('x.node')` under it, node-gyp-build and napi-rs loaders included) maps an
 *    addon. It sees only what is loaded after it is installed.
 * 2. The process report's `sharedObjects`: every shared object mapped into the process, from any
 *    thread, whenever and however it was loaded. It also covers what was loaded before the hook
 *    (by a `--import` loader such as tsx), which the wrapper cannot see.
 *
 * This module imports node builtins only, so the runner can install the hook before any project
 * module (or anything that might load an addon) has been evaluated.
 */

/** Addon file names passed to process.dlopen since installDlopenGuard(), in load order. */
const dlopened: string[] = [];
let installed = false;

/** Wraps process.dlopen to record every file name; idempotent. */
export function installDlopenGuard(): void {
  if (installed) return;
  installed = true;
  const original = process.dlopen;
  // Recorded before the call: an addon whose init throws was still attempted, and counts.
  process.dlopen = function dlopenRecorded(this: unknown, ...args: Parameters<typeof process.dlopen>) {
    dlopened.push(String(args[1]));
    return original.apply(this, args);
  } as typeof process.dlopen;
}

/** Whether the runner installed the hook: a bench imported some other way proves nothing. */
export function dlopenGuardInstalled(): boolean {
  return installed;
}

/** `.node` files mapped into the process, from the process report (witness 2). */
export function mappedAddons(): string[] {
  const report = process.report.getReport() as { sharedObjects?: unknown };
  const objects = Array.isArray(report.sharedObjects) ? (report.sharedObjects as unknown[]) : [];
  return objects.map(String).filter((file) => file.endsWith('.node'));
}

/**
 * Every native module the witnesses saw, without duplicates, hook order first. The report costs
 * ~9 ms, so `witnesses: 'hook'` (for per-task checks) reads the hook's list alone.
 */
export function nativeModulesLoaded(witnesses: 'all' | 'hook' = 'all'): string[] {
  return [...new Set(witnesses === 'all' ? [...dlopened, ...mappedAddons()] : dlopened)];
}

/**
 * Throws unless the hook is installed and no addon has been loaded. `where` names the bench (or
 * the runner's final check) in the message, with every module seen, so the culprit is obvious.
 */
export function assertNoNativeModules(where: string, witnesses: 'all' | 'hook' = 'all'): void {
  if (!installed) {
    throw new Error(`${where}: the dlopen guard is not installed; run the benches through native-free-bench/run.ts`);
  }
  const loaded = nativeModulesLoaded(witnesses);
  if (loaded.length > 0) {
    throw new Error(
      `${where}: native module(s) loaded in a native-free run: ${loaded.join(', ')}; want none ` +
        '(check TRACEKV_NATIVE_FREE=1, MSGPACKR_NATIVE_ACCELERATION_DISABLED=true, and that no zstd call ran)',
    );
  }
}
