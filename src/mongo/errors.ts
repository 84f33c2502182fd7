/** MongoDB driver errors → HookstreamError, so callers branch on `code`, never on message text. */
import { HookstreamError } from '../core/errors.js';
import { isMongoUnavailable } from './client.js';

const DUPLICATE_KEY = 11000;

export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number })?.code === DUPLICATE_KEY;
}

/** Maps a driver error for an operation on `what` (e.g. "webhook wh_123"). Unknown errors pass through. */
export function mapMongoError(err: unknown, what: string): unknown {
  if (isDuplicateKey(err)) {
    return new HookstreamError('CONFLICT', `${what} already exists`, { cause: err });
  }
  if (isMongoUnavailable(err)) {
    return new HookstreamError('STORE_UNAVAILABLE', `MongoDB is unreachable while handling ${what}`, {
      cause: err,
      retriable: true,
    });
  }
  return err;
}
