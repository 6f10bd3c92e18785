// The child of scripts/testkit/daemon-child.ts when a harness needs daemon options `tracekv serve`
// has no flag for (budgets, deadlines, store limits): startDaemon from the build with the options
// given as JSON in argv[2]. Plain JS against dist/, so it runs exactly the code users run.
// Like `tracekv serve`, it logs the daemon's events as JSON lines on stdout (the default logger;
// with `quiet` in argv[3], only `listening` and `server_error`)
// and stops gracefully on SIGTERM; stdin closing (the harness gone) stops it too. Started with
// --expose-gc, a `gc` line on stdin collects garbage and answers {"event":"gc","memoryUsage":…},
// so a harness can read RSS after GC rather than wherever V8 happened to be.
import readline from 'node:readline';

/** GC passes before a memory reading, with a pause between them for sweeping to finish and pages to be released. */
const GC_PASSES = 3;
const GC_PAUSE_MS = 100;

const options = JSON.parse(process.argv[2]);
const { startDaemon } = await import(new URL('../../dist/daemon/server.js', import.meta.url).href);
// A harness that went away (a closed pipe) must not take the daemon down with EPIPE.
process.stdout.on('error', () => {});
// `quiet` (argv[3]): only the handshake and server errors; see DaemonLaunch.quietLogs for why.
const QUIET_EVENTS = new Set(['listening', 'server_error']);
const quiet = process.argv[3] === 'quiet';
const daemon = await startDaemon(
  quiet ? { ...options, logger: (event) => QUIET_EVENTS.has(event.event) && process.stdout.write(`${JSON.stringify(event)}\n`) } : options,
);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  daemon.close().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`shutdown failed: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}
process.on('SIGTERM', stop);
const lines = readline.createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  if (line !== 'gc' || typeof globalThis.gc !== 'function') return;
  for (let pass = 0; pass < GC_PASSES; pass++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, GC_PAUSE_MS));
  }
  process.stdout.write(`${JSON.stringify({ event: 'gc', memoryUsage: process.memoryUsage() })}\n`);
});
lines.on('close', stop);
