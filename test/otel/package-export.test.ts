// Proves `tracekv/otel` resolves from the built package by its own name, exports the processor and exporter, and loads no OpenTelemetry package at run time (they are optional peer dependencies, used as types only).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');

describe('tracekv/otel from the built package (after npm run build)', () => {
  it('resolves by the package name and exports the processor and exporter', () => {
    // A child process: the package resolves itself through package.json "exports", as an application's import would.
    const script = [
      "const otel = await import('tracekv/otel');",
      "const main = await import('tracekv');",
      'const processor = new otel.TraceKvSpanProcessor({ port: 4 });',
      'const exporter = new otel.TraceKvSpanExporter({ port: 4 });',
      'await processor.shutdown(); await exporter.shutdown();',
      "console.log(JSON.stringify({ exports: Object.keys(otel).sort(), onEnd: typeof processor.onEnd, export: typeof exporter.export, client: typeof main.TraceClient, resolved: import.meta.resolve('tracekv/otel') }));",
    ].join('\n');
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repo, encoding: 'utf8' });
    const result = JSON.parse(out) as { exports: string[]; onEnd: string; export: string; client: string; resolved: string };
    expect(result.exports).toEqual(expect.arrayContaining(['TraceKvSpanExporter', 'TraceKvSpanProcessor']));
    expect([result.onEnd, result.export, result.client]).toEqual(['function', 'function', 'function']);
    expect(result.resolved.endsWith('/dist/otel/index.js')).toBe(true);
    expect(fs.existsSync(path.join(repo, 'dist/otel/index.d.ts'))).toBe(true);
  });

  it('imports no OpenTelemetry package at run time', () => {
    const dir = path.join(repo, 'dist/otel');
    for (const name of fs.readdirSync(dir).filter((file) => file.endsWith('.js'))) {
      expect(fs.readFileSync(path.join(dir, name), 'utf8'), name).not.toMatch(/from\s+['"]@opentelemetry\//);
    }
  });
});
