/**
 * `npm run reliability`: every reliability campaign at full counts (or `--quick`, as `npm test`
 * runs them), one after another, then a JSON and a Markdown summary in reliability-results/
 * (latest.json, latest.md; the README's "Reliability" section is the latest full run).
 *
 *   npm run reliability -- [--quick] [--seed S] [--only crash,power-loss,io-errors,corruption,protocol-fuzz,overload]
 *
 * Exits 1 if any campaign failed a check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCrashCampaign } from './crash.js';
import { campaignCommandLine, type CampaignOptions, type CampaignResult } from './reliability/campaign.js';
import { runCorruptionCampaign } from './reliability/corruption.js';
import { runIoErrorCampaign } from './reliability/io-errors.js';
import { runOverloadCampaign } from './reliability/overload.js';
import { runPowerLossCampaign } from './reliability/power-loss.js';
import { runProtocolFuzzCampaign } from './reliability/protocol-fuzz.js';

const RESULTS_DIR = new URL('../reliability-results/', import.meta.url).pathname;

export const CAMPAIGNS: Record<string, (options: CampaignOptions) => Promise<CampaignResult>> = {
  crash: runCrashCampaign,
  'power-loss': runPowerLossCampaign,
  'io-errors': runIoErrorCampaign,
  corruption: runCorruptionCampaign,
  'protocol-fuzz': runProtocolFuzzCampaign,
  overload: runOverloadCampaign,
};

export interface ReliabilityReport {
  startedAt: string;
  quick: boolean;
  seed: number;
  machine: string;
  durationMs: number;
  /** The headline numbers, summed over campaigns. */
  totals: { cyclesRun: number; crashPoints: number; corruptionsTried: number; framesFuzzed: number; failures: number };
  campaigns: CampaignResult[];
}

function totals(results: CampaignResult[]): ReliabilityReport['totals'] {
  const count = (campaign: string, ...keys: string[]) =>
    results.filter((r) => r.campaign === campaign).reduce((sum, r) => sum + keys.reduce((s, k) => s + (r.counts[k] ?? 0), 0), 0);
  return {
    cyclesRun: count('crash', 'cycles'),
    crashPoints: count('power-loss', 'crashPoints') + count('io-errors', 'cases'),
    corruptionsTried: count('corruption', 'corruptions'),
    framesFuzzed: count('protocol-fuzz', 'framesInProcess', 'framesTcp'),
    failures: results.reduce((sum, r) => sum + r.failures.length, 0),
  };
}

export function markdownSummary(report: ReliabilityReport): string {
  const t = report.totals;
  const lines = [
    `Run ${report.startedAt} (${report.quick ? 'quick' : 'full'} counts, seed ${report.seed}, ${report.machine}), ${(report.durationMs / 60_000).toFixed(1)} min.`,
    '',
    '| cycles run (kill -9) | crash points (power loss + I/O errors) | corruptions tried | frames fuzzed | failures |',
    '| --- | --- | --- | --- | --- |',
    `| ${t.cyclesRun.toLocaleString('en-US')} | ${t.crashPoints.toLocaleString('en-US')} | ${t.corruptionsTried.toLocaleString('en-US')} | ${t.framesFuzzed.toLocaleString('en-US')} | ${t.failures} |`,
    '',
    '| campaign | counts | figures | failures | time |',
    '| --- | --- | --- | --- | --- |',
  ];
  const format = (record: Record<string, number>) =>
    Object.entries(record)
      .map(([k, v]) => `${k} ${Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(2)}`)
      .join(', ') || '–';
  for (const r of report.campaigns) {
    lines.push(`| ${r.campaign} | ${format(r.counts)} | ${format(r.figures)} | ${r.failures.length} | ${(r.durationMs / 1000).toFixed(0)} s |`);
  }
  const failed = report.campaigns.filter((r) => r.failures.length > 0);
  for (const r of failed) lines.push('', `Failures of ${r.campaign}:`, ...r.failures.map((f) => `- ${f}`));
  return `${lines.join('\n')}\n`;
}

export async function runReliability(options: CampaignOptions & { only?: string[] }): Promise<ReliabilityReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  // `only` picks campaigns here and must not reach them: the power-loss campaign has an `only` of
  // its own (one crash point to replay), and given this list it ran zero crash points and passed.
  const { only, ...campaignOptions } = options;
  const names = only ?? Object.keys(CAMPAIGNS);
  const campaigns: CampaignResult[] = [];
  for (const name of names) {
    const run = CAMPAIGNS[name];
    if (run === undefined) throw new Error(`unknown campaign ${name}; want one of ${Object.keys(CAMPAIGNS).join(', ')}`);
    options.log?.(`== ${name}`);
    campaigns.push(await run(campaignOptions));
    const last = campaigns[campaigns.length - 1]!;
    options.log?.(`== ${name}: ${last.failures.length} failures, ${(last.durationMs / 1000).toFixed(0)} s`);
  }
  return {
    startedAt,
    quick: options.quick,
    seed: options.seed,
    machine: `${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    durationMs: performance.now() - started,
    totals: totals(campaigns),
    campaigns,
  };
}

async function main(): Promise<void> {
  const args = campaignCommandLine<{ only?: string[] }>('npm run reliability --', 'every reliability campaign, one after another', process.argv.slice(2), (command) =>
    command.option('--only <names>', `some campaigns, comma-separated: ${Object.keys(CAMPAIGNS).join(',')}`, (text: string) => text.split(',')),
  );
  process.stderr.write(`reliability: seed ${args.seed}${args.quick ? ' (quick)' : ''}\n`);
  const report = await runReliability(args);
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const markdown = markdownSummary(report);
  for (const name of [`${stamp}.json`, 'latest.json']) fs.writeFileSync(path.join(RESULTS_DIR, name), json);
  for (const name of [`${stamp}.md`, 'latest.md']) fs.writeFileSync(path.join(RESULTS_DIR, name), markdown);
  process.stdout.write(markdown);
  if (report.totals.failures > 0) process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
