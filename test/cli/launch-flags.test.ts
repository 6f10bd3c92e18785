// The node flags the daemon is launched with (DAEMON_NODE_FLAGS) are spelled in three places that
// no compiler checks: the `tracekv` executable's #! line, `npm start`, and the constant harnesses
// use. These tests keep them equal, and prove the #! line runs as the kernel runs it.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../../src/constants.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SHEBANG_PREFIX = '#!/usr/bin/env ';

function firstLine(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n', 1)[0]!;
}

describe('the daemon launch flags', () => {
  it('the #! line of the source and of the built executable carry DAEMON_NODE_FLAGS', () => {
    const want = `${SHEBANG_PREFIX}-S node ${DAEMON_NODE_FLAGS.join(' ')}`;
    expect(firstLine('src/cli/main.ts')).toBe(want);
    expect(firstLine('dist/cli/main.js')).toBe(want);
  });

  it('npm start runs the daemon with DAEMON_NODE_FLAGS', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${DAEMON_NODE_FLAGS.join(' ')} dist/cli/main.js serve`);
  });

  it('the #! line runs: env gets the rest of the line as one argument, then the script, as from the kernel', () => {
    const script = path.join(ROOT, 'dist/cli/main.js');
    const interpreterArgument = firstLine('dist/cli/main.js').slice(SHEBANG_PREFIX.length);
    const help = execFileSync('/usr/bin/env', [interpreterArgument, script, 'help', 'serve'], { encoding: 'utf8' });
    expect(help).toContain('Usage: tracekv serve');
  });

  it('this node accepts the flags (a flag V8 dropped would stop the daemon at launch)', () => {
    const out = execFileSync(process.execPath, [...DAEMON_NODE_FLAGS, '-e', 'process.stdout.write("started")'], { encoding: 'utf8' });
    expect(out).toBe('started');
  });
});
