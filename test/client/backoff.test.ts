// Proves the retry delay is full-jitter exponential backoff (uniform up to min(cap, base × 2^attempt)) and never shorter than the daemon's retryAfterMs.
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/client/call-deadline.js';

describe('backoffDelayMs', () => {
  it('grows the jitter ceiling by doubling from the base, up to the cap', () => {
    const top = () => 1;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelayMs(attempt, 50, 5_000, 0, top))).toEqual([50, 100, 200, 400, 800, 1600, 3200, 5000]);
    expect(backoffDelayMs(10_000, 50, 5_000, 0, top)).toBe(5_000);
  });

  it('picks uniformly below the ceiling (full jitter)', () => {
    expect(backoffDelayMs(3, 50, 5_000, 0, () => 0)).toBe(0);
    expect(backoffDelayMs(3, 50, 5_000, 0, () => 0.25)).toBe(100);
  });

  it("never goes below the daemon's retryAfterMs, even past the cap", () => {
    expect(backoffDelayMs(0, 50, 5_000, 300, () => 0.5)).toBe(300);
    expect(backoffDelayMs(0, 50, 100, 9_000, () => 1)).toBe(9_000);
    expect(backoffDelayMs(6, 50, 5_000, 10, () => 1)).toBe(3_200);
  });
});
