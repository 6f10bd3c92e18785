// The daemon under the TCP half of the protocol fuzz (scripts/reliability/protocol-fuzz.ts): a real
// daemon from the build, in a process of its own, so that its RSS and open sockets can be measured
// and a crash cannot take the campaign down with it. Plain JS against dist/, like crash-child.mjs.
// Started with --expose-gc: a `gc` line on stdin collects garbage and answers `gc <memoryUsage()>`,
// so the campaign compares RSS after GC rather than wherever V8 happened to be. SIGTERM is the
// graceful shutdown of `tracekv serve`; stdin closing (the campaign gone) does the same.
import readline from 'node:readline';

const options = JSON.parse(process.argv[2]);
const { startDaemon } = await import(new URL('../../../dist/daemon/server.js', import.meta.url).href);
const daemon = await startDaemon({
  ...options,
  logger: (event) => {
    if (event.event === 'server_error') process.stderr.write(`${JSON.stringify(event)}\n`);
  },
});
process.stdout.write(`PORT ${daemon.port}\n`);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  daemon.close().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
process.on('SIGTERM', stop);
const lines = readline.createInterface({ input: process.stdin });
// GC passes before a memory reading, with a pause between them for sweeping to finish and pages to be released.
const GC_PASSES = 3;
const GC_PAUSE_MS = 100;
lines.on('line', async (line) => {
  if (line !== 'gc') return;
  for (let pass = 0; pass < GC_PASSES; pass++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, GC_PAUSE_MS));
  }
  process.stdout.write(`gc ${JSON.stringify(process.memoryUsage())}\n`);
});
lines.on('close', stop);
