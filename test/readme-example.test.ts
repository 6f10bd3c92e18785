// Proves the README's embedded-API example runs exactly as written, against the built package.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './helpers/store-dir.js';

afterAll(removeTempDirs);

const repo = path.resolve(import.meta.dirname, '..');

describe('README example', () => {
  it('runs as written from the package root export', () => {
    const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
    const match = /## Embedded API\s+```js\n([\s\S]*?)```/.exec(readme);
    expect(match).not.toBeNull();
    const work = tempDir('readme');
    // The example imports 'tracekv': resolve it to this checkout's build, as an installed package would.
    fs.mkdirSync(path.join(work, 'node_modules'));
    fs.symlinkSync(repo, path.join(work, 'node_modules', 'tracekv'), 'dir');
    fs.writeFileSync(path.join(work, 'example.mjs'), match![1]!);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: repo, stdio: 'pipe' });
    const output = execFileSync(process.execPath, ['example.mjs'], { cwd: work, encoding: 'utf8' });
    expect(output).toBe('stored 1 span(s) at segment 1, offset 32\nGET /cart checkout\n1 null\n');
    expect(fs.existsSync(path.join(work, 'data', 'TRACEKV'))).toBe(true);
  });
});
