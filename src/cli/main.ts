#!/usr/bin/env node
/**
 * The `tracekv` command: commander wiring only; each command lives in its own file.
 */
import { Command } from 'commander';
import { TraceKvError } from '../errors.js';
import { registerServe } from './serve.js';

const program = new Command();
program.name('tracekv').description('tracekv: a storage engine for distributed traces');
registerServe(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const code = error instanceof TraceKvError ? ` (${error.code})` : '';
  process.stderr.write(`tracekv: ${error instanceof Error ? error.message : String(error)}${code}\n`);
  process.exitCode = 1;
});
