// Proves a clone or an installed package is complete on its own: the package ships the built engine and the Zipkin fixtures its load command replays, and nothing of the test rig; no source names a folder outside the repository.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ZIPKIN_FIXTURES_DIR, loadZipkinFixtures } from '../../src/workload/zipkin.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Spelled in two parts, so this file does not itself name the folder it looks for. */
const OUTSIDE_FOLDER = ['..', 'shared'].join('/');

function packedFiles(): string[] {
  // --ignore-scripts: `npm test` has just built dist/; prepack's clean rebuild is for real packs.
  const json = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [pack] = JSON.parse(json) as { files: { path: string }[] }[];
  return pack!.files.map((file) => file.path).sort();
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs|js|json|sh)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe('a fresh clone is the whole product', () => {
  it('reads the Zipkin fixtures from inside the package (they were read from a folder beside the clone)', () => {
    const dir = fileURLToPath(ZIPKIN_FIXTURES_DIR);
    expect(path.relative(ROOT, dir).startsWith('..')).toBe(false);
    const files = loadZipkinFixtures();
    expect(files.map((f) => f.file)).toEqual(['ascend.json', 'messaging-kafka.json', 'messaging2.json', 'smartthings-oauth-authorization.json', 'yelp.json']);
    expect(files.map(({ spansByService }) => [...spansByService.values()].flat().length)).toEqual([8, 28, 11, 175, 16]);
    expect(fs.readFileSync(path.join(dir, 'NOTICE'), 'utf8')).toContain('Apache License, Version 2.0');
  });

  it(`no file in src/, test/, scripts/ or native-free-bench/ names ${OUTSIDE_FOLDER}`, () => {
    const offenders = ['src', 'test', 'scripts', 'native-free-bench'].flatMap(sourceFiles).filter((file) => fs.readFileSync(file, 'utf8').includes(OUTSIDE_FOLDER));
    expect(offenders.map((file) => path.relative(ROOT, file))).toEqual([]);
  });

  it('the package ships the engine, the CLI and the fixtures, and not the simulated disk, tests or scripts', () => {
    const files = packedFiles();
    for (const wanted of ['dist/index.js', 'dist/cli/main.js', 'dist/reader/reader-worker.js', 'dist/workload/zipkin.js', 'data-format.md', 'README.md', 'src/workload/fixtures/zipkin/NOTICE', 'src/workload/fixtures/zipkin/yelp.json']) {
      expect(files).toContain(wanted);
    }
    expect(files.filter((file) => /simulated-disk|^test\/|^scripts\/|^native-free-bench\//.test(file))).toEqual([]);
    // Only built output and the fixtures' data come from outside the top level: no TypeScript sources.
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    // Every built module has a source: a stale module from an old build would ship otherwise.
    const stale = files.filter((file) => file.startsWith('dist/') && file.endsWith('.js')).filter((file) => !fs.existsSync(path.join(ROOT, 'src', file.slice('dist/'.length).replace(/\.js$/, '.ts'))));
    expect(stale).toEqual([]);
  });

  it('lmdb is only a development dependency: only the benchmarks use it', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).not.toContain('lmdb');
    expect(Object.keys(pkg.devDependencies)).toContain('lmdb');
    const engineImports = sourceFiles('src').filter((file) => /from 'lmdb'|require\('lmdb'\)/.test(fs.readFileSync(file, 'utf8')));
    expect(engineImports).toEqual([]);
  });
});
