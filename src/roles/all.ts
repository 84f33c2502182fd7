/** `hookstream all`: api + router + every sender in one process. */
import { HookstreamError } from '../core/errors.js';
import { startApi } from './api.js';
import { startRouter } from './router.js';
import { runRole } from './runtime.js';
import { senderStarter } from './sender.js';

export function runAll(args: string[]): Promise<number> {
  if (args.length > 0)
    throw new HookstreamError(
      'VALIDATION_FAILED',
      `hookstream all takes no arguments, got: ${args.join(' ')}`,
    );
  return runRole('all', senderStarter('all'), startRouter, startApi);
}
