#!/usr/bin/env node
/**
 * The `tracekv` command: commander wiring only; each command lives in its own file.
 * Usage errors print a short message and the help; results go to stdout, diagnostics to stderr.
 */
import { Command } from 'commander';
import { TraceKvError } from '../errors.js';
import { registerDump } from './dump.js';
import { registerGet } from './get.js';
import { registerInfo } from './info.js';
import { registerInspect } from './inspect.js';
import { registerLoad } from './load.js';
import { registerLs } from './ls.js';
import { EXIT_ERROR } from './output.js';
import { registerRepair } from './repair.js';
import { registerServe } from './serve.js';
import { registerVerify } from './verify.js';

const program = new Command();
program
  .name('tracekv')
  .description('tracekv: a storage engine for distributed traces')
  .showHelpAfterError()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });
registerServe(program);
registerInfo(program);
registerLs(program);
registerInspect(program);
registerVerify(program);
registerRepair(program);
registerGet(program);
registerDump(program);
registerLoad(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  const code = error instanceof TraceKvError ? ` (${error.code})` : '';
  process.stderr.write(`tracekv: ${error instanceof Error ? error.message : String(error)}${code}\n`);
  process.exitCode = EXIT_ERROR;
});
