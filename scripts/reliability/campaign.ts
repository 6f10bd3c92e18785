/**
 * What every reliability campaign returns, so `npm run reliability` can report them side by side.
 * A campaign never throws for a failed check: it records the failure (with the seed that replays it)
 * and goes on, so one run shows every failure; it throws only when it cannot run at all.
 */
export interface CampaignResult {
  /** Short name: 'crash', 'power-loss', 'io-errors', 'corruption', 'protocol-fuzz', 'overload'. */
  campaign: string;
  seed: number;
  /** What was tried, by kind: cycles, crash points, corruptions, frames, connections, … */
  counts: Record<string, number>;
  /** Measured figures that are not counts (recovery ms, RSS growth %, heap growth bytes, …). */
  figures: Record<string, number>;
  /** One line per failed check, each naming the seed and case that replays it. Expected empty. */
  failures: string[];
  durationMs: number;
}

export interface CampaignOptions {
  /** Reduced counts, as `npm test` runs them. */
  quick: boolean;
  seed: number;
  /** Progress lines (the script prints them to stderr; tests drop them). */
  log?: (line: string) => void;
}

/** Failures kept per campaign: past this, more of the same says nothing new and the report stays readable. */
export const CAMPAIGN_FAILURES_KEPT_MAX = 50;

/** Collects failures up to CAMPAIGN_FAILURES_KEPT_MAX and counts the rest. */
export class FailureLog {
  readonly lines: string[] = [];
  dropped = 0;

  add(line: string): void {
    if (this.lines.length < CAMPAIGN_FAILURES_KEPT_MAX) this.lines.push(line);
    else this.dropped++;
  }

  get count(): number {
    return this.lines.length + this.dropped;
  }

  result(): string[] {
    return this.dropped === 0 ? this.lines : [...this.lines, `… and ${this.dropped} more`];
  }
}

/** Parses `--seed S` and `--quick` for a campaign script run on its own. */
export function campaignArgs(argv: string[]): CampaignOptions {
  const at = argv.indexOf('--seed');
  const seed = at === -1 ? Math.floor(Math.random() * 2 ** 31) : Number(argv[at + 1]);
  if (!Number.isInteger(seed) || seed < 0) throw new Error('--seed wants a non-negative integer');
  return { quick: argv.includes('--quick'), seed, log: (line) => process.stderr.write(`${line}\n`) };
}
