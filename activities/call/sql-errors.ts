import { ApplicationFailure } from '@temporalio/activity';
import { DATA_REJECTED } from './types';

/**
 * A Postgres data exception (SQLSTATE class 22: a NUL in text, an invalid byte sequence, a number
 * out of range …) or integrity violation (class 23): the same statement fails the same way on
 * every retry, so retrying it forever blocks the call. Anything else (a lost connection, a
 * timeout, a serialization failure) may pass next time and is retried.
 */
export function isDataError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/** A data error as a non-retryable failure the workflow can read; other errors unchanged. */
export function nonRetryableIfData(err: unknown, what: string): unknown {
  if (!isDataError(err)) return err;
  return ApplicationFailure.create({
    type: DATA_REJECTED,
    message: `${what}: SQLSTATE ${err.code} ${err.message}`,
    nonRetryable: true,
  });
}
