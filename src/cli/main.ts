#!/usr/bin/env node
/**
 * The `tracekv` executable. Results go to stdout, diagnostics to stderr; an error prints one line
 * with its code and exits with EXIT_ERROR.
 */
import { TraceKvError } from '../errors.js';
import { buildProgram } from './index.js';
import { EXIT_ERROR } from './output.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const code = error instanceof TraceKvError ? ` (${error.code})` : '';
    process.stderr.write(`tracekv: ${error instanceof Error ? error.message : String(error)}${code}\n`);
    process.exitCode = EXIT_ERROR;
  });
