#!/usr/bin/env -S node --initial-old-space-size=64
/**
 * The `tracekv` executable. Results go to stdout, diagnostics to stderr; an error prints one line
 * with its code and exits with EXIT_ERROR.
 *
 * The `#!` line passes DAEMON_NODE_FLAGS (src/constants.ts says why), as `npm start` does; a test
 * keeps the three spellings equal.
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
