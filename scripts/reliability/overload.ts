/**
 * Overload campaign (reliability issue 7): offer the daemon twice the ingest rate it sustains and
 * check that it sheds the excess with ERR_BUSY instead of queueing it.
 *
 * 1. A daemon runs in a child process (built code in dist/; scripts/testkit/daemon-child.ts), so its
 *    RSS is its own, with a small, stated in-flight byte budget that admits ADMITTED_APPENDS
 *    appends at once.
 * 2. Capacity: closed-loop appends, ADMITTED_APPENDS outstanding.
 * 3. Overload: open loop at OFFER_FACTOR × capacity, in bursts of twice what the budget admits (so
 *    every burst overflows it, however fast or slow the machine), over several TraceClients that
 *    retry ERR_BUSY; a batch a client gives up on is offered again until acknowledged.
 *    Now and then a batch larger than the whole budget rides along. A raw connection that never
 *    retries sends one APPEND per burst and records what each BUSY reply carries.
 * 4. Checks: the daemon answered ERR_BUSY, each time with a positive integer retryAfterMs, and
 *    counted exactly the replies its clients received (reported per acknowledged batch); its peak RSS (VmHWM) stayed under the RSS
 *    budget; every offered batch was acknowledged exactly once and reads back byte-identical
 *    through a fresh client; no batch answered ERR_BUSY was stored.
 *
 *   node --import tsx scripts/reliability/overload.ts [--quick] [--seed S]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TraceClient } from '../../src/index.js';
import { FailureLog, campaignArgs, type CampaignOptions, type CampaignResult } from './campaign.js';
import { REQUEST_OVERHEAD_BYTES } from '../../src/daemon/server.js';
import { DaemonChild } from '../testkit/daemon-child.js';
import { Ledger, checkBatches, storedSpansOfBatch } from '../testkit/ledger.js';
import { BatchStamper, Stream } from './overload/batches.js';
import { ADMITTED_APPENDS, Offers, offerClientOptions } from './overload/offers.js';
import { Probe } from './overload/probe.js';

/** The overload: twice the measured capacity. */
const OFFER_FACTOR = 2;
/** Unmeasured closed-loop ingest before the capacity window: lets V8 optimize both processes. */
const CAPACITY_WARMUP_MS = 500;
/** How long the probe waits for the answers to its last APPENDs. */
const PROBE_ANSWER_TIMEOUT_MS = 30_000;
const MIB = 1024 * 1024;

/** Daemon limits besides the in-flight budget; each bounds a term of the RSS budget. */
const DAEMON_FRAME_BYTES_MAX = 4 * MIB; // batches are ≤ ~60 KiB; GET_TRACES answers are cut at ~1 MiB
const DAEMON_PENDING_OUTPUT_BYTES_MAX = 1 * MIB; // BUSY replies are ~100 B
const DAEMON_READ_CACHE_BYTES_MAX = 4 * MIB; // reads only verify
const DAEMON_INDEX_FLUSH_ENTRIES = 65_536; // a full run seals a few chunk files under load

/**
 * What the daemon charges each request against inFlightBytesMax besides its payload
 * (src/daemon/in-flight-budget.ts): the campaign sizes the budget in whole appends with it.
 */
const DAEMON_REQUEST_OVERHEAD_BYTES = REQUEST_OVERHEAD_BYTES;
/** One reader thread: reads only verify, and each thread costs RSS the budget would have to carry. */
const DAEMON_READER_THREADS = 1;

/** The limits the campaign sets; each one bounds a term of its RSS budget. */
interface DaemonLimits {
  inFlightBytesMax: number;
  frameBytesMax: number;
  pendingOutputBytesMax: number;
  readCacheBytesMax: number;
  indexFlushEntries: number;
}

/** The daemon in a child process of its own, so that its RSS measures the daemon alone, not the load generator's heap. */
function startDaemon(dir: string, limits: DaemonLimits): Promise<DaemonChild> {
  const { readCacheBytesMax, indexFlushEntries, ...daemonLimits } = limits;
  const store = { readerThreads: DAEMON_READER_THREADS, readCacheBytesMax, indexFlushEntries };
  return DaemonChild.start({ launch: { options: { dir, port: 0, ...daemonLimits, store } } });
}

/**
 * The RSS the daemon may use whatever its limits: ~60 MiB idle (Node 20, the store, one reader
 * thread), measured, plus what ingest at any rate adds that no limit governs: V8's young
 * generation (two 16 MiB semi-spaces), optimized code, zstd contexts and malloc arenas, measured
 * at 30–80 MiB more. A daemon that queued the excess instead of shedding it would pass the budget
 * within seconds.
 */
const DAEMON_RSS_BASELINE_MIB = 144;
/** A request's payload lives as the frame, the compressed body and the encoded record at once. */
const IN_FLIGHT_COPIES = 3;
/** A socket read hands the daemon at most this much at a time (libuv's read buffer). */
const SOCKET_READ_BYTES_MAX = 64 * 1024;
/** An index tail entry (32 B) plus its share of the tail's hash table. */
const INDEX_TAIL_BYTES_PER_ENTRY = 48;

interface Plan {
  capacityPhaseMs: number;
  overloadPhaseMs: number;
  clients: number;
  /** Past this after the last offer, batches still unacknowledged are reported lost. */
  drainTimeoutMs: number;
}

const QUICK_PLAN: Plan = { capacityPhaseMs: 1_500, overloadPhaseMs: 2_000, clients: 4, drainTimeoutMs: 60_000 };
const FULL_PLAN: Plan = { capacityPhaseMs: 4_000, overloadPhaseMs: 15_000, clients: 8, drainTimeoutMs: 180_000 };

/**
 * The RSS budget: the baseline plus every limit's worth of buffers. A request larger than the
 * in-flight budget runs alone (data-format.md §6.3), so in flight is at most the larger of the two.
 */
function rssBudgetBytes(limits: DaemonLimits, connections: number): number {
  const inFlightBytes = Math.max(limits.inFlightBytesMax, limits.frameBytesMax + DAEMON_REQUEST_OVERHEAD_BYTES);
  const perConnection = limits.frameBytesMax + limits.pendingOutputBytesMax + SOCKET_READ_BYTES_MAX;
  return (
    DAEMON_RSS_BASELINE_MIB * MIB +
    IN_FLIGHT_COPIES * inFlightBytes +
    connections * perConnection +
    limits.readCacheBytesMax +
    limits.indexFlushEntries * INDEX_TAIL_BYTES_PER_ENTRY
  );
}

/** What one run records, passed to each phase. */
interface Run {
  plan: Plan;
  context: string;
  log: (line: string) => void;
  failures: FailureLog;
  counts: Record<string, number>;
  figures: Record<string, number>;
  stamper: BatchStamper;
  rssBudget: number;
}

export async function runOverloadCampaign(options: CampaignOptions): Promise<CampaignResult> {
  const startedMs = performance.now();
  const plan = options.quick ? QUICK_PLAN : FULL_PLAN;
  const stamper = new BatchStamper(options.seed);
  const limits: DaemonLimits = {
    inFlightBytesMax: ADMITTED_APPENDS * (stamper.batchBytesMax + DAEMON_REQUEST_OVERHEAD_BYTES),
    frameBytesMax: DAEMON_FRAME_BYTES_MAX,
    pendingOutputBytesMax: DAEMON_PENDING_OUTPUT_BYTES_MAX,
    readCacheBytesMax: DAEMON_READ_CACHE_BYTES_MAX,
    indexFlushEntries: DAEMON_INDEX_FLUSH_ENTRIES,
  };
  if (stamper.oversizedBytesMin + DAEMON_REQUEST_OVERHEAD_BYTES <= limits.inFlightBytesMax) {
    throw new Error(`oversized batches (${stamper.oversizedBytesMin} B) fit the in-flight budget (${limits.inFlightBytesMax} B): make them larger`);
  }
  // The offering clients, the probe, and the verifier.
  const rssBudget = rssBudgetBytes(limits, plan.clients + 2);
  const run: Run = {
    plan,
    context: `seed ${options.seed}${options.quick ? ' --quick' : ''}`,
    log: options.log ?? (() => {}),
    failures: new FailureLog(),
    counts: {},
    figures: { daemonInFlightBytesMax: limits.inFlightBytesMax, rssBudgetMiB: rssBudget / MIB },
    stamper,
    rssBudget,
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracekv-overload-'));
  let daemon: DaemonChild;
  try {
    daemon = await startDaemon(dir, limits);
  } catch (error) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  try {
    await overload(run, daemon);
  } catch (error) {
    run.failures.add(`${run.context}: campaign stopped early: ${error instanceof Error ? error.stack : String(error)}`);
  } finally {
    const exit = await daemon.stop();
    if (exit?.code !== 0) run.failures.add(`${run.context}: the daemon did not stop cleanly on SIGTERM (exit ${JSON.stringify(exit)}): ${daemon.stderrTail()}`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const { counts, figures, failures } = run;
  return { campaign: 'overload', seed: options.seed, counts, figures, failures: failures.result(), durationMs: performance.now() - startedMs };
}

/** The phases against a running daemon: capacity, overload, drain, checks, read-back. */
async function overload(run: Run, daemon: DaemonChild): Promise<void> {
  const { plan, figures, counts, log } = run;
  figures.daemonRssIdleMiB = daemon.rssBytes('VmRSS') / MIB;
  log(`overload: daemon pid ${daemon.pid}, inFlightBytesMax ${figures.daemonInFlightBytesMax} B, RSS budget ${figures.rssBudgetMiB!.toFixed(1)} MiB`);
  const probe = await Probe.connect(daemon.port, run.stamper, DAEMON_FRAME_BYTES_MAX);
  let clients: TraceClient[] = [];
  try {
    clients = await Promise.all(Array.from({ length: plan.clients }, () => TraceClient.connect(offerClientOptions(daemon.port))));
    const offers = new Offers(run.stamper, clients, run.failures, run.context);
    await offers.closedLoop(CAPACITY_WARMUP_MS);
    figures.capacitySpansPerSec = await offers.closedLoop(plan.capacityPhaseMs);
    log(`overload: capacity ${Math.round(figures.capacitySpansPerSec)} spans/s; offering ${OFFER_FACTOR}× for ${plan.overloadPhaseMs} ms`);
    const overloadStartMs = performance.now();
    const spansAcknowledgedBefore = offers.counts().spansAcknowledged!;
    const offered = await offers.openLoop(OFFER_FACTOR * figures.capacitySpansPerSec, plan.overloadPhaseMs, () => probe.sendOne());
    figures.offeredSpansPerSec = offered.spans / offered.seconds;
    log(`overload: offered ${Math.round(figures.offeredSpansPerSec)} spans/s; draining`);
    const drainStartMs = performance.now();
    await offers.drain(plan.drainTimeoutMs, log);
    figures.drainMs = performance.now() - drainStartMs;
    // What got in while the load lasted, against what the daemon takes when not overloaded.
    figures.goodputSpansPerSec = (offers.counts().spansAcknowledged! - spansAcknowledgedBefore) / ((performance.now() - overloadStartMs) / 1000);
    await probe.settle(PROBE_ANSWER_TIMEOUT_MS, run.failures, run.context);
    // Before the read-back: the budget is for ingest; reads have limits of their own.
    figures.daemonRssPeakMiB = daemon.rssBytes('VmHWM') / MIB;
    figures.loadGeneratorRssPeakMiB = process.resourceUsage().maxRSS / 1024;
    log(`overload: drained in ${Math.round(figures.drainMs)} ms; daemon peak RSS ${figures.daemonRssPeakMiB.toFixed(1)} MiB`);
    Object.assign(counts, offers.counts(), probe.counts());
    counts.clientBusyReplies = clients.reduce((sum, client) => sum + client.clientStats.busyReplies, 0);
    counts.clientRetries = clients.reduce((sum, client) => sum + client.clientStats.retries, 0);
    checkOffers(run);
    const verifier = await TraceClient.connect({ port: daemon.port });
    try {
      await checkDaemonCounters(run, verifier);
      await verify(run, verifier, offers, probe);
    } finally {
      await verifier.close();
    }
    // Reported beside the checked peak, to show what reads add.
    figures.daemonRssPeakWithReadsMiB = daemon.rssBytes('VmHWM') / MIB;
    log(`overload: ${counts.tracesVerified} traces read back; daemon peak RSS since start ${figures.daemonRssPeakWithReadsMiB.toFixed(1)} MiB`);
  } finally {
    probe.close();
    await Promise.all(clients.map((client) => client.close()));
  }
}

function checkOffers({ counts, figures, rssBudget, failures, context }: Run): void {
  if (counts.probeBusyReplies === 0) failures.add(`${context}: the probe never got ERR_BUSY: no BUSY reply was seen on the wire`);
  if (counts.clientBusyReplies === 0) failures.add(`${context}: offered ${OFFER_FACTOR}× capacity, the clients never got ERR_BUSY`);
  if (counts.batchesAcknowledged !== counts.batchesOffered) {
    failures.add(`${context}: ${counts.batchesOffered! - counts.batchesAcknowledged!} of ${counts.batchesOffered} offered batches were never acknowledged`);
  }
  if (figures.offeredSpansPerSec! < figures.capacitySpansPerSec!) {
    failures.add(`${context}: offered only ${Math.round(figures.offeredSpansPerSec!)} spans/s, under the capacity ${Math.round(figures.capacitySpansPerSec!)}: no overload`);
  }
  if (!Number.isFinite(figures.daemonRssPeakMiB)) failures.add(`${context}: could not read the daemon's RSS from /proc (Linux only)`);
  if (figures.daemonRssPeakMiB! * MIB > rssBudget) {
    failures.add(`${context}: daemon peak RSS ${figures.daemonRssPeakMiB!.toFixed(1)} MiB; want ≤ the budget ${(rssBudget / MIB).toFixed(1)} MiB`);
  }
  if (figures.daemonRssIdleMiB! > DAEMON_RSS_BASELINE_MIB) {
    failures.add(`${context}: idle daemon RSS ${figures.daemonRssIdleMiB!.toFixed(1)} MiB is over DAEMON_RSS_BASELINE_MIB (${DAEMON_RSS_BASELINE_MIB}): the baseline is stale`);
  }
}

/** The daemon's own count of BUSY replies must match what the clients and the probe received. */
async function checkDaemonCounters({ counts, figures, failures, context }: Run, client: TraceClient): Promise<void> {
  const server = (await client.stats()).server;
  counts.busyReplies = Number(server.busyReplies);
  // What shedding costs: each refusal is a round trip and a frame read for nothing. A retryAfterMs
  // that spreads the retries over the time the budget needs for them keeps this low (issue 11).
  figures.busyRepliesPerAcknowledgedBatch = counts.busyReplies / (counts.batchesAcknowledged! + counts.probeAcknowledged!);
  const received = counts.clientBusyReplies! + counts.probeBusyReplies!;
  if (counts.busyReplies !== received) {
    failures.add(`${context}: the daemon counts ${counts.busyReplies} ERR_BUSY replies; the clients and the probe received ${received}`);
  }
  const errorsByCode = server.errorsByCode as Record<string, number>;
  if (Object.keys(errorsByCode).some((code) => code !== 'ERR_BUSY')) {
    failures.add(`${context}: the daemon answered errors other than ERR_BUSY: ${JSON.stringify(errorsByCode)}`);
  }
}

/** How a failure line names each stream's batches. */
const STREAM_NAMES: Record<Stream, string> = { [Stream.Offered]: 'offered', [Stream.Probe]: 'probe', [Stream.Oversized]: 'oversized' };

/**
 * Reads every acknowledged batch back through `client`, byte for byte, and checks that the
 * probe's refused batches were not stored (the testkit's ledger check, one ledger per stream, as
 * each stream numbers its batches from 0). A batch stored twice would show its spans twice.
 */
async function verify({ counts, failures, context, stamper }: Run, client: TraceClient, offers: Offers, probe: Probe): Promise<void> {
  counts.tracesVerified = 0;
  const read = (ids: string[]) => client.getTraces(ids, { raw: true });
  const ledgers: [Stream, Ledger][] = [];
  for (const stream of [Stream.Offered, Stream.Oversized] as const) {
    const ledger = new Ledger();
    for (const batchNo of offers.acknowledged[stream]) ledger.acked(batchNo);
    ledgers.push([stream, ledger]);
  }
  const probed = new Ledger();
  for (const batchNo of probe.acknowledged) probed.acked(batchNo);
  for (const batchNo of probe.refused) probed.refuse(batchNo);
  ledgers.push([Stream.Probe, probed]);
  for (const [stream, ledger] of ledgers) {
    const spansOf = (batchNo: number) => {
      const spans = storedSpansOfBatch(stamper.stamp(stream, batchNo));
      counts.tracesVerified! += new Set(spans.map((span) => span.traceId)).size;
      return spans;
    };
    const view = ledger.at();
    await checkBatches(read, view, view.sent, spansOf, (problem) => failures.add(`${context}: ${STREAM_NAMES[stream]} ${problem}`));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runOverloadCampaign(campaignArgs(process.argv.slice(2), 'scripts/reliability/overload.ts'));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = result.failures.length === 0 ? 0 : 1;
}
