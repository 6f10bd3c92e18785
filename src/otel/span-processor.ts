/**
 * TraceKvSpanProcessor: the SDK's span processor and exporter in one. onEnd() serializes the span
 * at once into the open batch of its resource and scope (trailer entry included), so no span object
 * is kept after it ends; a batch ships when the next span does not fit it, when it holds
 * batchSpansMax spans, or `lingerMs` after the first span entered an empty processor, whichever
 * comes first. At most `batchesInFlightMax` batches are unacknowledged; past `queueSpansMax`
 * unsent spans, new spans are dropped and counted (BatchSpanProcessor's maxQueueSize).
 *
 * Like BatchSpanProcessor it exports only sampled spans, and waits for a resource whose
 * attributes are still being detected (asyncAttributesPending) before it serializes its spans.
 */
import { BatchAssembler } from './batch-assembler.js';
import { BatchShipper } from './batch-shipper.js';
import { type TraceKvProcessorOptions, resolveOtelOptions } from './exporter-options.js';
import { type ReadableSpan, type SpanProcessor, TRACE_FLAG_SAMPLED } from './otel-types.js';
import type { OtelExportStats } from './stats.js';

export class TraceKvSpanProcessor implements SpanProcessor {
  private readonly shipper: BatchShipper;
  private readonly assembler: BatchAssembler;
  private readonly lingerMs: number;
  private readonly queueSpansMax: number;
  private timer: NodeJS.Timeout | null = null;
  /** Spans waiting for their resource's async attributes. */
  private readonly resourceWaits = new Set<Promise<void>>();
  private invalidSpans = 0;
  private queueFullSpans = 0;
  private shutdownPromise: Promise<void> | null = null;

  constructor(options: TraceKvProcessorOptions) {
    const resolved = resolveOtelOptions(options, true);
    this.lingerMs = resolved.lingerMs;
    this.queueSpansMax = resolved.queueSpansMax;
    this.shipper = new BatchShipper(resolved.source, resolved.batchesInFlightMax);
    this.assembler = new BatchAssembler(resolved, (batch, spans) => void this.shipper.send(batch, spans));
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.shutdownPromise !== null) return;
    if ((span.spanContext().traceFlags & TRACE_FLAG_SAMPLED) === 0) return;
    if (span.resource.asyncAttributesPending === true && typeof span.resource.waitForAsyncAttributes === 'function') {
      this.afterResource(span);
      return;
    }
    this.accept(span);
  }

  /** Ships every open batch and resolves once each is acknowledged (or has failed). */
  async forceFlush(): Promise<void> {
    while (this.resourceWaits.size > 0) await Promise.all([...this.resourceWaits]);
    this.clearTimer();
    this.assembler.sealAll();
    await this.shipper.idle();
  }

  /** Flushes, then closes the client if the processor opened it. Spans ending after this are ignored. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.forceFlush().then(() => this.shipper.close());
    return this.shutdownPromise;
  }

  get stats(): OtelExportStats {
    return { ...this.shipper.counters, invalidSpans: this.invalidSpans, queueFullSpans: this.queueFullSpans, lastError: this.shipper.lastError };
  }

  private accept(span: ReadableSpan): void {
    try {
      if (this.assembler.openSpans + this.shipper.queuedSpans >= this.queueSpansMax) {
        this.queueFullSpans++;
        return;
      }
      if (!this.assembler.add(span)) {
        this.invalidSpans++;
        return;
      }
    } catch {
      // Never throw into the SDK's span.end(): an object of a shape we did not expect is dropped.
      this.invalidSpans++;
      return;
    }
    if (this.timer === null && this.assembler.openSpans > 0) {
      this.timer = setTimeout(() => this.linger(), this.lingerMs);
      // A batch waiting to fill must not keep the process alive; shutdown() flushes it.
      this.timer.unref();
    }
  }

  private linger(): void {
    this.timer = null;
    this.assembler.sealAll();
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private afterResource(span: ReadableSpan): void {
    const wait = span.resource.waitForAsyncAttributes!().then(
      () => this.accept(span),
      () => this.accept(span),
    );
    this.resourceWaits.add(wait);
    void wait.finally(() => this.resourceWaits.delete(wait));
  }
}
