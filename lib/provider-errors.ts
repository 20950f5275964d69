import type { Logger } from 'pino';
import type { Sql } from './db';
import { recordProviderError } from './metrics';

/**
 * Records a provider failure: always in the Prometheus counter; and, when it is the provider's
 * fault (HTTP 5xx, or no HTTP answer at all: timeouts, resets), as a `provider_errors` row the
 * alert sweep reads for bursts. Never throws: bookkeeping must not turn into a second failure.
 */
export async function noteProviderError(
  sql: Sql,
  log: Logger,
  e: { vendor: string; code?: string | number; httpStatus?: number; unavailable?: boolean; callId?: string },
): Promise<void> {
  recordProviderError(e.vendor, e.code ?? e.httpStatus);
  const providerFault = e.httpStatus !== undefined ? e.httpStatus >= 500 : e.unavailable === true;
  if (!providerFault) return;
  try {
    await sql`
      insert into provider_errors (vendor, code, http_status, call_id)
      values (${e.vendor}, ${e.code === undefined ? null : String(e.code)}, ${e.httpStatus ?? null}, ${e.callId ?? null})`;
  } catch (err) {
    log.warn({ vendor: e.vendor, err: (err as Error).message }, 'could not record provider error');
  }
}
