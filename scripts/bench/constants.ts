/** Every fixed setting of the benchmark, with why it has that value. Sizes that vary by mode are in options.ts. */

/** Appends awaiting acknowledgement at once: enough for the store's group commit to share each
 * fdatasync among many, few enough to bound memory. `tracekv load` uses the same. */
export const APPENDS_IN_FLIGHT = 16;
/** Traces per client batch (per service): 100 tracegen traces make the 1,000-span (~233 KB)
 * batches the README's figures use; `tracekv load` defaults to the same. */
export const TRACES_PER_BATCH = 100;
/** The instrumentation scope of every batch (and of the OTLP requests sized against them). */
export const SCOPE = { name: 'tracekv-bench', version: '1.0.0' };
/** Traces per getTraces call: the benchmark issue's bulk read. */
export const BULK_TRACES = 100;
/** getTrace({ raw: true }) calls compared with LMDB's trace reads: raw spans are what LMDB
 * returns (record bytes, nothing decoded). Fewer than `lookups`: only the p50 is compared. */
export const RAW_LOOKUPS_MAX = 2_000;
/** Batches compressed at each zstd level when comparing levels, and rounds of that (median counts). */
export const ZSTD_SAMPLE_BATCHES = 20;
export const ZSTD_ROUNDS = 5;
/** The benchmark issue's RSS sampling period. */
export const RSS_SAMPLE_MS = 100;
/** Spans per OTLP ExportTraceServiceRequest when sizing protobuf: an OTel SDK BatchSpanProcessor
 * exports at most 512 by default and collectors batch to 8,192; ~1,000 matches our batches. */
export const OTLP_REQUEST_SPANS = 1_000;
/** A synthetic clock: each new trace starts this much after the previous one, so runs repeat exactly. */
export const TRACE_INTERVAL_NS = 100_000n;
/** The first trace's start: 2023-11-14, a fixed instant so runs repeat exactly. */
export const FIRST_TRACE_UNIX_NANO = 1_700_000_000_000_000_000n;
/** Progress lines per long loop. */
export const PROGRESS_STEPS = 10;
