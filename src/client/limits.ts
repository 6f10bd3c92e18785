/**
 * Every limit and default of TraceClient, each with the reason for its value. They sit here until
 * they move to src/constants.ts with the daemon's.
 */
import { READ_TIMEOUT_MS_DEFAULT } from '../constants.js';

/**
 * Requests one connection carries before their responses arrive (data-format.md §6: "up to 64").
 * Enough to hide a LAN round trip behind ~64 small reads; more would only grow the daemon's
 * per-connection buffers. Further calls wait, first come first served.
 */
export const REQUESTS_IN_FLIGHT_MAX = 64;

export const HOST_DEFAULT = '127.0.0.1';
/** Same as the embedded store's read deadline, so a call has the same budget locally and remotely. */
export const REQUEST_TIMEOUT_MS_DEFAULT = READ_TIMEOUT_MS_DEFAULT;
/** TCP connect, TLS handshake and HELLO together; a daemon on a LAN answers all three in a few ms. */
export const CONNECT_TIMEOUT_MS_DEFAULT = 5_000;
/** 4 retries with a 50 ms base span ~0.75 s of backoff: rides out a daemon restart or a busy burst. */
export const RETRIES_MAX_DEFAULT = 4;
export const RETRY_BASE_MS_DEFAULT = 50;
/** No single backoff sleeps longer than this, however many attempts came before. */
export const RETRY_CAP_MS_DEFAULT = 5_000;

/** A deadline past a day is surely a unit mistake (seconds for ms); setTimeout also caps at ~24.8 days. */
export const TIMEOUT_MS_LIMIT = 24 * 3_600_000;
/** More retries than this only hides an outage: at the default cap it is already minutes of waiting. */
export const RETRIES_LIMIT = 100;
/** Longest backoff base or cap accepted; anything above a minute belongs to the caller's own retry logic. */
export const RETRY_DELAY_MS_LIMIT = 60_000;
/**
 * Smallest frameBytesMax a client accepts: ERROR, HELLO and STATS replies are a few KiB, so a
 * limit under 64 KiB would make the client unable to read ordinary answers.
 */
export const CLIENT_FRAME_BYTES_MIN = 64 * 1024;
/** TCP keepalive probes start after this much idle time, so a peer that vanished is noticed without a request. */
export const SOCKET_KEEPALIVE_DELAY_MS = 15_000;
