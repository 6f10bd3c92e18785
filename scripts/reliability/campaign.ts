/**
 * What every reliability campaign returns, so `npm run reliability` can report them side by side.
 * A campaign never throws for a failed check: it records the failure (with the seed that replays it)
 * and goes on, so one run shows every failure; it throws only when it cannot run at all.
 */
import type { Command } from 'commander';
import { integerFlag, parseCommandLine, scriptCommand } from '../testkit/command-line.js';

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

/**
 * The command line of a campaign run on its own: `--quick` and `--seed S`, plus whatever flags
 * `extend` declares. Returns the campaign's options and the command's other options.
 */
export function campaignCommandLine<Extra extends object = object>(
  script: string,
  description: string,
  argv: string[],
  extend: (command: Command) => Command = (command) => command,
): CampaignOptions & Extra {
  const command = scriptCommand(script, description)
    .option('--quick', 'reduced counts, as `npm test` runs them')
    .option('--seed <S>', 'seed that replays a run (default: random)', integerFlag(0));
  const { quick, seed, ...extra } = parseCommandLine<{ quick?: boolean; seed?: number } & Extra>(extend(command), argv);
  return {
    ...(extra as Extra),
    quick: quick === true,
    seed: seed ?? Math.floor(Math.random() * 2 ** 31),
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

/** Parses `--seed S` and `--quick` for a campaign script run on its own. */
export function campaignArgs(argv: string[], script = 'campaign'): CampaignOptions {
  return campaignCommandLine(script, 'a reliability campaign (README.md, "Reliability")', argv);
}
