/**
 * A query TraceQL cannot run: ERR_INVALID_ARGUMENT, its message naming what is wrong or unsupported
 * and where (`offset`, in UTF-16 units from the query's start), which the query faces answer as 400.
 */
import { TraceKvError } from '../errors.js';

export function traceQlError(message: string, at: number): TraceKvError {
  return new TraceKvError('ERR_INVALID_ARGUMENT', `TraceQL at ${at}: ${message}`, { offset: at });
}
