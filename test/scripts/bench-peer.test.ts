// Proves the peer benchmark's parts that run without ClickHouse: its rows (RowBinary) read back as written, its config stays on loopback in its own directory, and its smoke run measures tracekv and says why ClickHouse was skipped.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clickHouseConfig, findClickHouseServer } from '../../scripts/bench/peer/clickhouse-server.js';
import { createSpansTable, readSpanRows, SPAN_COLUMNS, SpanRowWriter, type RowValue } from '../../scripts/bench/peer/span-rows.js';

const repo = path.resolve(import.meta.dirname, '../..');
const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-bench-peer-test-'));
afterAll(() => fs.rmSync(resultsDir, { recursive: true, force: true }));

describe('span rows (RowBinary)', () => {
  it('reads back every column as written, for a full span and a bare one', () => {
    const writer = new SpanRowWriter();
    writer.add(
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        parentSpanId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
        name: 'GET /ü',
        kind: 2,
        startTimeUnixNano: 1_700_000_000_000_000_000n,
        endTimeUnixNano: 1_700_000_000_000_123_000n,
        attributes: { 'http.method': 'GET', 'http.status_code': 200n, ratio: 0.5, ok: true, raw: new Uint8Array([255]), list: ['a', 1n] },
        events: [{ name: 'retry', timeUnixNano: 1_700_000_000_000_001_000n, attributes: { n: 2n } }],
        links: [{ traceId: 'ff'.repeat(16), spanId: 'ee'.repeat(8) }],
        status: { code: 2, message: 'boom' },
        traceState: 'k=v',
        flags: 257,
      },
      'checkout',
      { name: 'scope', version: '1.2' },
    );
    // 200 attribute keys: a count past one LEB128 byte.
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'x'.repeat(i)]));
    writer.add({ traceId: '1', spanId: '2', name: '', startTimeUnixNano: 5n, endTimeUnixNano: 5n, attributes: many }, '', { name: '' });
    expect(writer.rows).toBe(2);
    const rows: RowValue[][] = [];
    expect(readSpanRows(writer.take(), (values) => rows.push(values))).toBe(2);
    expect(writer.rows).toBe(0);
    const named = rows.map((values) => Object.fromEntries(SPAN_COLUMNS.map(({ name }, i) => [name, values[i]])));
    expect(named[0]).toEqual({
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
      parent_span_id: '0102030405060708',
      service_name: 'checkout',
      scope_name: 'scope',
      scope_version: '1.2',
      name: 'GET /ü',
      kind: 2n,
      start_time_unix_nano: 1_700_000_000_000_000_000n,
      duration_nano: 123_000n,
      status_code: 2n,
      status_message: 'boom',
      trace_state: 'k=v',
      flags: 257n,
      attribute_keys: ['http.method', 'http.status_code', 'ratio', 'ok', 'raw', 'list'],
      attribute_values: ['GET', '"200"', '0.5', 'true', '"/w=="', '["a","1"]'],
      event_times_unix_nano: [1_700_000_000_000_001_000n],
      event_names: ['retry'],
      event_attributes: ['{"n":"2"}'],
      link_trace_ids: ['ff'.repeat(16)],
      link_span_ids: ['ee'.repeat(8)],
    });
    expect(named[1]!.trace_id).toBe(`${'0'.repeat(31)}1`);
    expect(named[1]!.parent_span_id).toBe('0'.repeat(16));
    expect(named[1]!.attribute_values).toEqual(Array.from({ length: 200 }, (_, i) => 'x'.repeat(i)));
  });

  it('refuses a truncated reply, at every cut', () => {
    const writer = new SpanRowWriter();
    writer.add({ traceId: 'ab', spanId: 'cd', name: 'n', startTimeUnixNano: 1n, endTimeUnixNano: 2n, attributes: { a: 'b' } }, 's', { name: 'x' });
    const bytes = writer.take();
    for (let cut = 1; cut < bytes.length; cut++) expect(() => readSpanRows(bytes.subarray(0, cut), () => {}), `cut at ${cut}`).toThrow(/RowBinary: got/);
  });

  it('creates the table with every column, ordered by trace id', () => {
    const statement = createSpansTable();
    for (const { name, type } of SPAN_COLUMNS) expect(statement).toContain(`${name} ${type}`);
    expect(statement).toMatch(/MergeTree\(\) ORDER BY trace_id/);
  });
});

describe('ClickHouse server config', () => {
  it('listens on loopback only and keeps data, logs and users in its directory', () => {
    const { config, users } = clickHouseConfig('/tmp/x', 1234, 5678);
    expect(config).toContain('<listen_host>127.0.0.1</listen_host>');
    expect(config).toContain('<http_port>1234</http_port>');
    expect(config).toContain('<tcp_port>5678</tcp_port>');
    for (const tag of ['path', 'tmp_path', 'users_config', 'log', 'errorlog']) expect(config).toMatch(new RegExp(`<${tag}>/tmp/x/`));
    expect(users).toContain('<ip>127.0.0.1</ip>');
  });

  it('names the missing binary and how to install it', () => {
    const found = findClickHouseServer({ TRACEKV_CLICKHOUSE_SERVER: '/nonexistent/clickhouse-server' });
    expect(found).toEqual({ missing: expect.stringContaining('/nonexistent/clickhouse-server') });
    expect((found as { missing: string }).missing).toContain('apt-get install clickhouse-server');
  });
});

describe('scripts/bench-peer.ts --smoke without ClickHouse', () => {
  it('measures tracekv, skips ClickHouse with the reason, and writes peer-latest.json', () => {
    const report = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench-peer.ts', '--smoke', '--results-dir', resultsDir], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      // Never a real ClickHouse in npm test, even on a machine that has one.
      env: { ...process.env, TRACEKV_CLICKHOUSE_SERVER: '/nonexistent/clickhouse-server' },
    });
    expect(report).toContain('| figure | tracekv | ClickHouse | tracekv ahead by |');
    expect(report).toContain('skipped (no executable ClickHouse server at /nonexistent/clickhouse-server');
    const results = JSON.parse(fs.readFileSync(path.join(resultsDir, 'peer-latest.json'), 'utf8'));
    expect(results.schemaVersion).toBe(2);
    expect(results.mode).toBe('smoke');
    expect(results.settings.workload).toBe('w1');
    expect(results.settings.spans).toBeGreaterThanOrEqual(2_000);
    for (const key of ['ingestSpansPerSec', 'bytesPerSpan', 'bulkP50Ms', 'bulkNdjsonP50Ms']) expect(Number.isFinite(results.tracekv[key]), key).toBe(true);
    expect(results.tracekv.traceById.count).toBe(results.settings.lookups);
    expect(results.clickHouse.skipped).toContain('apt-get install clickhouse-server');
    expect(results.ratios).toBeNull();
  });
});
