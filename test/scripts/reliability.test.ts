// Proves the reliability runner sums campaign counts into the report's headline totals and renders them, with failures, as the Markdown summary the README carries.
import { describe, expect, it } from 'vitest';
import { markdownSummary, runReliability, type ReliabilityReport } from '../../scripts/reliability.js';
import { POWER_LOSS_CRASH_POINTS_QUICK } from '../../scripts/reliability/power-loss.js';
import { testSeed } from '../helpers/rng.js';

describe('npm run reliability', () => {
  it('reports one campaign at quick counts', async () => {
    const report = await runReliability({ quick: true, seed: testSeed(), only: ['io-errors'] });
    expect(report.campaigns.map((c) => c.campaign)).toEqual(['io-errors']);
    expect(report.totals.crashPoints).toBe(report.campaigns[0]!.counts.cases);
    expect(report.totals.failures).toBe(0);
    expect(markdownSummary(report)).toContain(`| 0 | ${report.totals.crashPoints.toLocaleString('en-US')} | 0 | 0 | 0 |`);
  }, 120_000);

  it('hands a campaign its quick counts, not the runner\'s campaign list (power loss has an `only` of its own)', async () => {
    const report = await runReliability({ quick: true, seed: testSeed(), only: ['power-loss'] });
    expect(report.campaigns[0]!.counts.crashPoints).toBe(POWER_LOSS_CRASH_POINTS_QUICK);
    expect(report.totals.failures).toBe(0);
  }, 120_000);

  it('lists every failure under its campaign', () => {
    const report: ReliabilityReport = {
      startedAt: 'then',
      quick: false,
      seed: 1,
      machine: 'm',
      durationMs: 60_000,
      totals: { cyclesRun: 0, crashPoints: 0, corruptionsTried: 5, framesFuzzed: 0, failures: 1 },
      campaigns: [{ campaign: 'corruption', seed: 1, counts: { corruptions: 5 }, figures: {}, failures: ['seed 1 x: not detected'], durationMs: 1000 }],
    };
    const markdown = markdownSummary(report);
    expect(markdown).toContain('| corruption | corruptions 5 | – | 1 | 1 s |');
    expect(markdown).toContain('Failures of corruption:\n- seed 1 x: not detected');
  });
});
