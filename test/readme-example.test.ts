// Proves the README's embedded-API and client examples run exactly as written, against the built package.
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../src/daemon/server.js';
import { removeTempDirs, tempDir } from './helpers/store-dir.js';

afterAll(removeTempDirs);

const repo = path.resolve(import.meta.dirname, '..');

/** Writes the README's first js block after `heading` into a scratch dir whose node_modules/tracekv is this checkout. */
function exampleAfter(heading: string): string {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const match = new RegExp(`## ${heading}[\\s\\S]*?\`\`\`js\n([\\s\\S]*?)\`\`\``).exec(readme);
  expect(match).not.toBeNull();
  const work = tempDir('readme');
  // The example imports 'tracekv': resolve it to this checkout's build, as an installed package would.
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(repo, path.join(work, 'node_modules', 'tracekv'), 'dir');
  fs.writeFileSync(path.join(work, 'example.mjs'), match![1]!);
  return work;
}

describe('README examples', () => {
  it('the embedded example runs as written from the package root export', () => {
    const work = exampleAfter('Embedded API');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: repo, stdio: 'pipe' });
    const output = execFileSync(process.execPath, ['example.mjs'], { cwd: work, encoding: 'utf8' });
    expect(output).toBe('stored 1 span(s) at segment 1, offset 32\nGET /cart checkout\n1 null\n');
    expect(fs.existsSync(path.join(work, 'data', 'TRACEKV'))).toBe(true);
  });

  it('the client example runs as written against a daemon', async () => {
    const work = exampleAfter('Daemon and client');
    const daemon = await startDaemon({ dir: tempDir('readme-daemon'), port: 0, logger: () => {} });
    try {
      const output = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, ['example.mjs'], { cwd: work, encoding: 'utf8', env: { ...process.env, TRACEKV_PORT: String(daemon.port) } }, (error, stdout) =>
          error ? reject(error) : resolve(stdout),
        );
      });
      expect(output).toBe("[ 'GET /cart' ]\n");
    } finally {
      await daemon.close();
    }
  });
});
