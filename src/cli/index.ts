/** The `tracekv` command line: commander wiring only, one file per command; `main.ts` runs it. */
import { Command } from 'commander';
import { registerDump } from './dump.js';
import { registerGet } from './get.js';
import { registerInfo } from './info.js';
import { registerInspect } from './inspect.js';
import { registerLoad } from './load.js';
import { registerLs } from './ls.js';
import { registerRepair } from './repair.js';
import { registerServe } from './serve.js';
import { registerVerify } from './verify.js';

/** The whole command tree. Usage errors print a short message and the help. */
export function buildProgram(): Command {
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
  return program;
}
