import type { Logger } from 'pino';
import type { Sql } from './db';
import { observeProviderErrors, recordProviderError } from './metrics';

interface ProviderError {
  vendor: string;
  code?: string | number;
  httpStatus?: number;
  unavailable?: boolean;
  callId?: string;
}

/**
 * Records a provider failure: always in the Prometheus counter; and, when it is the provider's
 * fault (HTTP 5xx, or no HTTP answer at all: timeouts, resets), as a `provider_errors` row the
 * alert sweep reads for bursts. Never throws: bookkeeping must not turn into a second failure.
 */
export async function noteProviderError(sql: Sql, log: Logger, e: ProviderError): Promise<void> {
  recordProviderError(e.vendor, e.code ?? e.httpStatus);
  const providerFault = e.httpStatus !== undefined ? e.httpStatus >= 500 : e.unavailable === true;
  if (providerFault) await journalProviderError(sql, log, e);
}

async function journalProviderError(sql: Sql, log: Logger, e: ProviderError): Promise<void> {
  try {
    await sql`
      insert into provider_errors (vendor, code, http_status, call_id)
      values (${e.vendor}, ${e.code === undefined ? null : String(e.code)}, ${e.httpStatus ?? null}, ${e.callId ?? null})`;
  } catch (err) {
    log.warn({ vendor: e.vendor, err: (err as Error).message }, 'could not record provider error');
  }
}

/*
 * The media gateway's adapters report vendor codes, not always an HTTP status. These are the ones
 * that mean the vendor failed or did not answer (ours — auth, bad parameters, 4xx — are not bursts):
 * Azure's CancellationErrorCode names, ElevenLabs adapter codes, the gateway's own stall timeout.
 */
const PROVIDER_FAULT_CODES = new Set([
  'ConnectionFailure',
  'ServiceTimeout',
  'ServiceError',
  'StartFailed',
  'ConnectionLost', // azure
  'closed',
  'connect',
  'vendor', // elevenlabs
  'first_token_timeout', // openrouter: no first token in time
]);

/** Whether a code seen by a live call is the provider's fault: a 5xx, a known fault code, or no code at all (no HTTP answer). */
export function isProviderFault(code: string | number | undefined): boolean {
  if (code === undefined) return true;
  if (typeof code === 'number' || /^\d{3}$/.test(code)) return Number(code) >= 500;
  return PROVIDER_FAULT_CODES.has(code);
}

/** Journals, for the provider-burst alert, every provider fault this process counts in its metrics. */
export function journalObservedProviderErrors(sql: Sql, log: Logger): () => void {
  return observeProviderErrors((vendor, code) => {
    if (!isProviderFault(code)) return;
    void journalProviderError(
      sql,
      log,
      typeof code === 'number' ? { vendor, code, httpStatus: code } : { vendor, code, unavailable: true },
    );
  });
}
