/** The operator tools behind the CLI, reading segments only through the record cursor and the stored-batch loader: store summaries (info, ls), verify, repair and dump. */
export { summarizeStore, summarizeGeneration, summarizeSegment, type GenerationSummary, type SegmentSummary } from './segment-summary.js';
export { verifyStore, VERIFY_MAX_ERRORS_DEFAULT, VerifyReport, type VerifyOptions } from './verify.js';
export { repairStore, type RepairOptions, type RepairReport } from './repair.js';
export { dumpSpans, type DumpOptions, type DumpReport } from './dump.js';
