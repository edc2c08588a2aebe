import type { DbopsError } from '../../src/errors.js';

/** The DbopsError `fn` throws; fails the test when it throws nothing. */
export function thrown(fn: () => unknown): DbopsError {
  try {
    fn();
  } catch (err) {
    return err as DbopsError;
  }
  throw new Error('expected an error');
}
