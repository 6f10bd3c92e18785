#!/usr/bin/env node
/**
 * The `tracekv` command. The daemon (`serve`) and the operator commands land in their own issues;
 * until then `serve` says so and exits cleanly instead of crashing.
 */
import { Command } from 'commander';

const program = new Command();
program.name('tracekv').description('tracekv: a storage engine for distributed traces');

program
  .command('serve')
  .description('run the tracekv daemon (not built yet)')
  .action(() => {
    process.stdout.write('tracekv: daemon not built yet; use the embedded TraceStore API (see README.md)\n');
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`tracekv: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
