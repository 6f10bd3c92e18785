/** What the exporter and the processor count: every span ends up in exactly one counter. */
import type { ShipperCounters } from './batch-shipper.js';

export interface OtelExportStats extends ShipperCounters {
  /** Spans the format cannot hold (see span-writer.ts), dropped before any batch. */
  invalidSpans: number;
  /** Spans the processor dropped because `queueSpansMax` unsent spans were already held (0 for the exporter). */
  queueFullSpans: number;
  /** Why the last failed batch failed, or null. */
  lastError: Error | null;
}
