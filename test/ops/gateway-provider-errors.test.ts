import { describe, expect, it } from 'vitest';
import { testContext, testLogger } from '../helpers/env';
import { recordProviderError } from '../../lib/metrics';
import { isProviderFault, journalObservedProviderErrors } from '../../lib/provider-errors';
import { waitFor } from '../helpers/wait';

/** The media gateway counts vendor failures deep in its loop; the provider-burst alert must see the vendors' faults, not ours. */
describe('provider errors seen by the media gateway', () => {
  it('tells the vendor failing from us failing', () => {
    expect(
      [503, '502', 'ConnectionFailure', 'ServiceTimeout', 'closed', 'connect', 'first_token_timeout', undefined].map(
        isProviderFault,
      ),
    ).toEqual(Array(8).fill(true));
    expect([429, '400', 'AuthenticationFailure', 'BadRequestParameters', 'auth', 'Forbidden'].map(isProviderFault)).toEqual(
      Array(6).fill(false),
    );
  });

  it('journals each provider fault it counts, once, and none of ours', async () => {
    const { sql } = await testContext();
    const now = (await sql<{ now: string }[]>`select now()::text as now`)[0]!.now;
    const stop = journalObservedProviderErrors(sql, testLogger());
    try {
      recordProviderError('elevenlabs', 'closed');
      recordProviderError('elevenlabs', 'auth');
      recordProviderError('openrouter', 503);
      recordProviderError('openrouter', 429);
      recordProviderError('azure', 'AuthenticationFailure');
      recordProviderError('azure', 'ConnectionFailure');
    } finally {
      stop();
    }
    recordProviderError('azure', 'ServiceError'); // after the observer is gone: counted, not journalled
    const rows = () => sql<{ vendor: string; code: string; http_status: number | null }[]>`
      select vendor, code, http_status from provider_errors
      where occurred_at >= ${now}::timestamptz and vendor in ('elevenlabs', 'openrouter', 'azure') order by vendor, code`;
    await waitFor(async () => (await rows()).length >= 3);
    await new Promise((r) => setTimeout(r, 200)); // room for a wrongly journalled fourth row to show up
    expect(await rows()).toEqual([
      { vendor: 'azure', code: 'ConnectionFailure', http_status: null },
      { vendor: 'elevenlabs', code: 'closed', http_status: null },
      { vendor: 'openrouter', code: '503', http_status: 503 },
    ]);
  });
});
