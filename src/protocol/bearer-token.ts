/**
 * The daemon's token as its HTTP faces take it: `Authorization: Bearer <token>` (an HTTP header,
 * or gRPC `authorization` metadata), on the OTLP receivers and the query server. Compared in
 * constant time, as the TCP HELLO is.
 */
import crypto from 'node:crypto';

function digest(value: string): Buffer {
  return crypto.createHash('sha256').update(value, 'utf8').digest();
}

const BEARER_PREFIX = /^bearer +/i;

export class BearerToken {
  private readonly expected: Buffer | null;

  /** `token` undefined: no token is configured and every request is allowed. */
  constructor(token: string | undefined) {
    this.expected = token === undefined ? null : digest(token);
  }

  get required(): boolean {
    return this.expected !== null;
  }

  /** Whether an Authorization value (undefined when absent) grants access. */
  allows(authorization: string | undefined): boolean {
    if (this.expected === null) return true;
    if (authorization === undefined || !BEARER_PREFIX.test(authorization)) return false;
    // Compare fixed-size digests: timingSafeEqual needs equal lengths, and a length check would leak.
    return crypto.timingSafeEqual(digest(authorization.replace(BEARER_PREFIX, '')), this.expected);
  }
}
