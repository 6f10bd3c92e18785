/**
 * The OTLP fuzz's ledger: for every trace id a request carried, how many spans the daemon must
 * hold once the fuzz is over. An acknowledged request (200, gRPC OK) adds the spans its harness
 * transcode put in that trace; a refused one adds nothing, so its trace ids must read back empty,
 * which is how "a refusal stores nothing of the request" is checked. A request whose outcome the
 * client cannot know (no answer, a reset mid-request) adds to `maybe`: the trace then holds either
 * none of those spans or all of them, never a part.
 *
 * At the end every trace is read back through a fresh TraceClient (decoded, so every record the
 * transcoder wrote must decode too) and its span count compared.
 */
import { TraceClient, TraceKvError } from '../../../src/index.js';
import { UNIX_NANO_MAX } from '../../../src/constants.js';
import { START_TIME_UNIX_NANO } from './otlp-requests.js';
import type { FailureLog } from '../campaign.js';
import { FUZZ_TOKEN } from './corpus.js';
import type { Expected } from './otlp-expect.js';
import { describeError } from './oracle.js';
import { ANSWER_MS_MAX } from './tcp-common.js';

/** Trace ids read per GET_TRACES: well under the daemon's per-request limit. */
const TRACES_PER_READ = 64;
/** Reads in flight at once. */
const READS_PARALLEL = 4;
/** Traces with more spans than this are read raw: decoding 65,536 spans in the harness says nothing more than decoding 100. */
const DECODED_READ_SPANS_MAX = 1_000;
/** The stretch after START_TIME_UNIX_NANO sliced first when a large trace must be read decoded: 2^20 ns holds the large request's spans. */
const LARGE_SPAN_WINDOW_NS = 1n << 20n;

interface Entry {
  sure: number;
  maybe: number;
  /** The case that last touched it, for the failure line. */
  where: string;
}

export class OtlpLedger {
  private readonly entries = new Map<string, Entry>();
  /** Spans the daemon acknowledged. */
  spansAcknowledged = 0;

  private entry(traceIdHex: string, where: string): Entry {
    let entry = this.entries.get(traceIdHex);
    if (entry === undefined) this.entries.set(traceIdHex, (entry = { sure: 0, maybe: 0, where }));
    entry.where = where;
    return entry;
  }

  /** A request the daemon answered: `stored` says whether it acknowledged it (and so stored what `expected` says). */
  answered(traceIdsHex: string[], expected: Expected, stored: boolean, where: string): void {
    for (const traceId of traceIdsHex) this.entry(traceId, where);
    if (!stored || expected.class !== 'stored') return;
    for (const [traceId, spans] of expected.perTrace) this.entry(traceId, where).sure += spans;
    this.spansAcknowledged += expected.spans;
  }

  /** A request whose outcome is unknown: all of it or none of it may be stored. */
  unknown(traceIdsHex: string[], expected: Expected, where: string): void {
    for (const traceId of traceIdsHex) this.entry(traceId, where);
    if (expected.class !== 'stored') return;
    for (const [traceId, spans] of expected.perTrace) this.entry(traceId, where).maybe += spans;
  }

  get traces(): number {
    return this.entries.size;
  }

  /** Reads every trace back and records each whose span count is not what the ledger says. */
  async check(port: number, failures: FailureLog, where: string): Promise<void> {
    let client: TraceClient | null = null;
    try {
      client = await TraceClient.connect({ port, token: FUZZ_TOKEN, timeoutMs: ANSWER_MS_MAX });
      const ids = [...this.entries.keys()];
      let next = 0;
      const lane = async (reader: TraceClient) => {
        while (next < ids.length) {
          const chunk = ids.slice(next, (next += TRACES_PER_READ));
          await this.checkChunk(reader, chunk, failures, where);
        }
      };
      await Promise.all(Array.from({ length: READS_PARALLEL }, () => lane(client!)));
    } catch (error) {
      failures.add(`${where}: reading the OTLP ledger's traces back failed: ${describeError(error)}`);
    } finally {
      await client?.close().catch(() => {});
    }
  }

  private async checkChunk(client: TraceClient, chunk: string[], failures: FailureLog, where: string): Promise<void> {
    const spansOf = (traceId: string) => this.entries.get(traceId)!.sure + this.entries.get(traceId)!.maybe;
    const decoded = chunk.filter((traceId) => spansOf(traceId) <= DECODED_READ_SPANS_MAX);
    const large = chunk.filter((traceId) => spansOf(traceId) > DECODED_READ_SPANS_MAX);
    const got = new Map<string, number>();
    try {
      const traces = decoded.length === 0 ? [] : await client.getTraces(decoded);
      decoded.forEach((traceId, i) => got.set(traceId, traces[i]?.spans.length ?? 0));
      for (const traceId of large) got.set(traceId, await this.largeTraceSpans(client, traceId));
    } catch (error) {
      failures.add(`${where}: reading ${chunk.length} OTLP traces (${chunk[0]}, …) failed: ${describeError(error)}`);
      return;
    }
    for (const traceId of chunk) {
      const entry = this.entries.get(traceId)!;
      const spans = got.get(traceId)!;
      if (spans === entry.sure || (entry.maybe > 0 && spans === entry.sure + entry.maybe)) continue;
      const want = entry.maybe > 0 ? `${entry.sure} or ${entry.sure + entry.maybe}` : String(entry.sure);
      failures.add(`${where}: trace ${traceId} holds ${spans} spans; want ${want} (last request: ${entry.where})`);
    }
  }

  /**
   * The spans of a trace with more than DECODED_READ_SPANS_MAX, read raw and alone. A raw trace
   * carries every version-2 batch it has rows in, whole (data-format.md §2.7.6), so one spread over
   * many large batches can pass a frame (ERR_REQUEST_TOO_LARGE, §6.3), and so can the same trace
   * decoded: then it is read decoded in time slices.
   */
  private async largeTraceSpans(client: TraceClient, traceId: string): Promise<number> {
    try {
      const [trace] = await client.getTraces([traceId], { raw: true });
      return trace?.spans.length ?? 0;
    } catch (error) {
      if (!isTooLarge(error)) throw error;
    }
    // Decoded, in time slices that each fit a frame: first the stretch where generated spans
    // start (the large request's 65,536 spans lie 1 ns apart from its start), then the rest.
    const from = START_TIME_UNIX_NANO;
    const to = START_TIME_UNIX_NANO + LARGE_SPAN_WINDOW_NS - 1n;
    return (
      (await this.spansBetween(client, traceId, 0n, from - 1n)) +
      (await this.spansBetween(client, traceId, from, to)) +
      (await this.spansBetween(client, traceId, to + 1n, UNIX_NANO_MAX))
    );
  }

  /** Spans of a trace that start in [start, end], decoded; the range is halved while its answer passes a frame. */
  private async spansBetween(client: TraceClient, traceId: string, start: bigint, end: bigint): Promise<number> {
    try {
      const [trace] = await client.getTraces([{ traceId, startTimeUnixNano: start, endTimeUnixNano: end }]);
      return trace?.spans.length ?? 0;
    } catch (error) {
      if (!isTooLarge(error) || start === end) throw error;
      const middle = start + (end - start) / 2n;
      return (await this.spansBetween(client, traceId, start, middle)) + (await this.spansBetween(client, traceId, middle + 1n, end));
    }
  }
}

function isTooLarge(error: unknown): boolean {
  return error instanceof TraceKvError && error.code === 'ERR_REQUEST_TOO_LARGE';
}
