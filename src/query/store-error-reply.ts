/**
 * The one table from a store error to an HTTP reply, for every query face (data-format.md §8.1):
 * Tempo's text replies, the bulk read's status line and Jaeger's two JSON error shapes all take
 * their status, message and headers from here, so a code cannot answer differently per route.
 */
import type http from 'node:http';
import { TraceKvError } from '../errors.js';

/** What a store failure answers, before a face puts the message in its own body shape. */
export interface StoreErrorReply {
  status: number;
  message: string;
  headers: http.OutgoingHttpHeaders;
}

/**
 * Retry-After on busy and closing replies, in seconds: the reader pool's queue drains in
 * milliseconds and a restarting daemon is back within seconds, so 1 s is neither a stampede nor
 * a long stall. HTTP's Retry-After has whole-second resolution, so 1 is also the least it can say.
 */
const RETRY_AFTER_SECONDS = 1;
const RETRY_HEADERS: http.OutgoingHttpHeaders = Object.freeze({ 'retry-after': String(RETRY_AFTER_SECONDS) });
const NO_HEADERS: http.OutgoingHttpHeaders = Object.freeze({});

/**
 * A store error as an HTTP reply: busy and closing are retryable, a timeout is a gateway timeout,
 * a refused oversized trace 413, any other code 500 naming it. Anything but a TraceKvError is a
 * bug, not a store answer: it is thrown on, for the caller's internal-error path.
 */
export function storeErrorReply(error: unknown): StoreErrorReply {
  if (!(error instanceof TraceKvError)) throw error;
  switch (error.code) {
    case 'ERR_BUSY':
      return { status: 429, message: error.message, headers: RETRY_HEADERS };
    case 'ERR_STORE_CLOSED':
      return { status: 503, message: error.message, headers: RETRY_HEADERS };
    case 'ERR_TIMEOUT':
      return { status: 504, message: error.message, headers: NO_HEADERS };
    case 'ERR_TRACE_TOO_LARGE':
      // The store was told to refuse such traces (traceTooLarge: 'reject') rather than cut them.
      return { status: 413, message: error.message, headers: NO_HEADERS };
    default:
      return { status: 500, message: `${error.code}: ${error.message}`, headers: NO_HEADERS };
  }
}
