/** The TraceKvError a promise rejects with; fails the test if it resolves or rejects with anything else. */
import { expect } from 'vitest';
import { TraceKvError } from '../../src/errors.js';

export async function rejection(promise: Promise<unknown>): Promise<TraceKvError> {
  const error = await promise.then(
    () => new Error('resolved; want a rejection'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TraceKvError);
  return error as TraceKvError;
}
