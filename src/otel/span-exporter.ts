/**
 * TraceKvSpanExporter: a SpanExporter for the OpenTelemetry JS SDK's BatchSpanProcessor or
 * SimpleSpanProcessor. export() serializes each span of the array as it iterates (no
 * intermediate request object), seals the batches, and reports SUCCESS once the daemon has made
 * every one of them durable, FAILED (with the client's error) if any was not stored. Spans the
 * format cannot hold are dropped and counted in `stats.invalidSpans`; they do not fail the export.
 * TraceKvSpanProcessor skips the SDK's own queue of span objects altogether.
 */
import { BatchAssembler } from './batch-assembler.js';
import { BatchShipper } from './batch-shipper.js';
import { type TraceKvExporterOptions, resolveOtelOptions } from './exporter-options.js';
import { EXPORT_FAILED, EXPORT_SUCCESS, type ExportResult, type ReadableSpan, type SpanExporter } from './otel-types.js';
import type { OtelExportStats } from './stats.js';

export class TraceKvSpanExporter implements SpanExporter {
  private readonly shipper: BatchShipper;
  private readonly assembler: BatchAssembler;
  /** The sends of the export() running now: the assembler's sink adds to it. */
  private sends: Promise<boolean>[] = [];
  private readonly exports = new Set<Promise<void>>();
  private invalidSpans = 0;
  private shutdownPromise: Promise<void> | null = null;

  constructor(options: TraceKvExporterOptions) {
    const resolved = resolveOtelOptions(options, false);
    this.shipper = new BatchShipper(resolved.source, resolved.batchesInFlightMax);
    this.assembler = new BatchAssembler(resolved, (batch, spans) => this.sends.push(this.shipper.send(batch, spans)));
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.shutdownPromise !== null) {
      resultCallback({ code: EXPORT_FAILED, error: new Error('TraceKvSpanExporter: export after shutdown') });
      return;
    }
    const sends: Promise<boolean>[] = [];
    this.sends = sends;
    try {
      for (let i = 0; i < spans.length; i++) {
        if (!this.assembler.add(spans[i]!)) this.invalidSpans++;
      }
    } catch (error) {
      // A bug or an SDK object of an unexpected shape: fail this export, never throw into the SDK.
      this.assembler.sealAll();
      this.track(Promise.all(sends).then(() => resultCallback({ code: EXPORT_FAILED, error: asError(error) })));
      return;
    }
    this.assembler.sealAll();
    this.track(
      Promise.all(sends).then((stored) => {
        if (stored.every(Boolean)) resultCallback({ code: EXPORT_SUCCESS });
        else resultCallback({ code: EXPORT_FAILED, error: this.shipper.lastError ?? new Error('TraceKvSpanExporter: a batch was not stored') });
      }),
    );
  }

  /** Resolves when every export started so far has reported. */
  async forceFlush(): Promise<void> {
    while (this.exports.size > 0) await Promise.all([...this.exports]);
  }

  /** Waits for running exports, then closes the client if the exporter opened it. Idempotent. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= this.forceFlush().then(() => this.shipper.close());
    return this.shutdownPromise;
  }

  get stats(): OtelExportStats {
    return { ...this.shipper.counters, invalidSpans: this.invalidSpans, queueFullSpans: 0, lastError: this.shipper.lastError };
  }

  private track(done: Promise<void>): void {
    this.exports.add(done);
    void done.finally(() => this.exports.delete(done));
  }
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
