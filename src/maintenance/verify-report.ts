/**
 * What `tracekv verify` found: problems (corruption, exit 3), warnings (states that are normal
 * beside a live writer or after recovery, such as a torn tail), and what was checked.
 */
import { TraceKvError } from '../errors.js';

export interface VerifyProblem {
  file: string;
  /** Byte offset in `file` where the problem is. */
  offset: number;
  problem: string;
}

export interface VerifyCounters {
  generations: number;
  segments: number;
  segmentBytes: number;
  records: number;
  spans: number;
  /** Records decompressed and their trailers read (index cross-check and --deep). */
  recordsDecoded: number;
  chunks: number;
  chunkBytes: number;
  indexEntries: number;
  /** Bytes of torn tails (warnings, not problems). */
  tornBytes: number;
}

/** Thrown through the checks once --max-errors problems are in: nothing more is needed. */
class EnoughProblems extends Error {}

export class VerifyReport {
  readonly problems: VerifyProblem[] = [];
  readonly warnings: VerifyProblem[] = [];
  readonly counters: VerifyCounters = {
    generations: 0,
    segments: 0,
    segmentBytes: 0,
    records: 0,
    spans: 0,
    recordsDecoded: 0,
    chunks: 0,
    chunkBytes: 0,
    indexEntries: 0,
    tornBytes: 0,
  };
  /** True when the checks stopped at maxErrors problems: more may exist. */
  stoppedEarly = false;

  constructor(private readonly maxErrors: number) {}

  problem(file: string, offset: number, problem: string): void {
    this.problems.push({ file, offset, problem });
    if (this.problems.length >= this.maxErrors) {
      this.stoppedEarly = true;
      throw new EnoughProblems();
    }
  }

  /** A corruption error from a reader (ERR_*_CORRUPT), as a problem; anything else propagates. */
  corruption(error: unknown, fallbackFile: string, fallbackOffset: number, context = ''): void {
    if (!isCorruption(error)) throw error;
    const file = error.file ?? fallbackFile;
    const offset = error.offset ?? fallbackOffset;
    this.problem(file, offset, context + withoutLocation(error, file, offset));
  }

  warning(file: string, offset: number, problem: string): void {
    this.warnings.push({ file, offset, problem });
  }

  /** Runs the checks, turning the max-errors stop into a normal return. */
  static async collect(maxErrors: number, checks: (report: VerifyReport) => Promise<void>): Promise<VerifyReport> {
    const report = new VerifyReport(maxErrors);
    try {
      await checks(report);
    } catch (error) {
      if (!(error instanceof EnoughProblems)) throw error;
    }
    return report;
  }
}

const CORRUPTION_CODES = new Set(['ERR_SEGMENT_CORRUPT', 'ERR_INDEX_CORRUPT', 'ERR_BATCH_CORRUPT', 'ERR_BATCH_TOO_LARGE', 'ERR_BATCH_UNSUPPORTED', 'ERR_GENERATION_CORRUPT']);

export function isCorruption(error: unknown): error is TraceKvError {
  return error instanceof TraceKvError && CORRUPTION_CODES.has(error.code);
}

/** The message without the "<file> at offset <n>: " prefix that the report prints itself. */
function withoutLocation(error: TraceKvError, file: string, offset: number): string {
  const prefix = `${file} at offset ${offset}: `;
  return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
}
