import type { Logger } from 'pino';
import type { Sql } from '../../lib/db';
import { isSuppressed, suppressOptOut, type Suppression } from '../../lib/suppression';

/**
 * Do-not-call as activities, for workflow code: the call workflow can add a callee's opt-out the
 * moment the gateway signals it (not only at settlement), and check a number before dialing when
 * its begin activity does not already.
 */
export function createSuppressionActivities({ sql, log }: { sql: Sql; log: Logger }) {
  return {
    async suppressionOptOut(args: { accountId: string; e164: string; callId?: string }): Promise<{ added: boolean }> {
      const r = await suppressOptOut(sql, args);
      if (r.added)
        log.info(
          { callId: args.callId, accountId: args.accountId, last4: args.e164.slice(-4) },
          'number suppressed after an opt-out',
        );
      return r;
    },
    async suppressionCheck({ accountId, e164 }: { accountId: string; e164: string }): Promise<Suppression | null> {
      return isSuppressed(sql, accountId, e164);
    },
  };
}
export type SuppressionActivities = ReturnType<typeof createSuppressionActivities>;
