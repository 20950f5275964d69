import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { testContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { startTestApi } from '../helpers/api';
import { createLedger } from '../../lib/ledger';
import { createLedgerActivities } from '../../activities/ledger';

let api: Awaited<ReturnType<typeof startTestApi>>;
beforeAll(async () => {
  api = await startTestApi(await testContext());
});
afterAll(() => api.close());

describe('GET /v1/credits', () => {
  it('shows the caller its own balance and statement, paginated', async () => {
    const { sql } = await testContext();
    const a = await createTestAccount(sql, { withKey: true });
    const b = await createTestAccount(sql, { withKey: true });
    const ledger = createLedger(sql);
    await ledger.credit({ accountId: a.id, amount: 3_000_000, key: randomUUID(), reason: 'top-up' });
    const h = await ledger.hold({ accountId: a.id, amount: 1_000_000, key: randomUUID() });
    await ledger.post({ holdKey: h.holdKey, amount: 400_000, key: randomUUID() });
    await ledger.credit({ accountId: b.id, amount: 7, key: randomUUID(), reason: 'other' });

    const bal = await api.call('GET', '/v1/credits', { key: a.apiKey });
    expect(bal.status).toBe(200);
    expect(bal.body).toEqual({ available: 2_600_000, held: 0, currency: 'USD', unit: 'micro' });

    const p1 = await api.call('GET', '/v1/credits/statement?limit=2', { key: a.apiKey });
    expect(p1.status).toBe(200);
    expect(p1.body.entries.map((e: { op: string }) => e.op)).toEqual(['credit', 'hold']);
    const p2 = await api.call('GET', `/v1/credits/statement?limit=2&cursor=${p1.body.nextCursor}`, { key: a.apiKey });
    expect(p2.body.entries.map((e: { op: string; amount: number }) => [e.op, e.amount])).toEqual([['post', 400_000]]);
    expect(p2.body.nextCursor).toBeNull();

    const other = await api.call('GET', '/v1/credits/statement', { key: b.apiKey });
    expect(other.body.entries).toHaveLength(1);
    expect((await api.call('GET', '/v1/credits', { key: b.apiKey })).body.available).toBe(7);
  });

  it('rejects missing keys and bad queries clearly', async () => {
    const { sql } = await testContext();
    const a = await createTestAccount(sql, { withKey: true });
    expect((await api.call('GET', '/v1/credits')).status).toBe(401);
    expect((await api.call('GET', '/v1/credits', { key: 'ak_nope' })).status).toBe(401);
    const bad = await api.call('GET', '/v1/credits/statement?limit=0&cursor=abc', { key: a.apiKey });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('validation_failed');
    expect(bad.body.message).toMatch(/limit/);
    expect(bad.body.message).toMatch(/cursor/);
  });
});

describe('ledger activities', () => {
  it('turn typed refusals into non-retryable failures and replay by key', async () => {
    const { sql } = await testContext();
    const a = await createTestAccount(sql);
    const acts = createLedgerActivities(sql);
    const env = new MockActivityEnvironment();
    const k = `call/${randomUUID()}:hold`;
    const err = (await env
      .run(acts.ledgerHold, { accountId: a.id, amountMicro: 1, key: k })
      .catch((e) => e)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('InsufficientCredits');
    expect(err.nonRetryable).toBe(true);
    await env.run(acts.ledgerCredit, { accountId: a.id, amountMicro: 500, key: `topup/${randomUUID()}:credit`, reason: 't' });
    const h = (await env.run(acts.ledgerHold, { accountId: a.id, amountMicro: 300, key: k })) as {
      holdKey: string;
      amountMicro: number;
    };
    expect(await env.run(acts.ledgerHold, { accountId: a.id, amountMicro: 300, key: k })).toEqual(h);
    const settle = await env.run(acts.ledgerPost, { holdKey: h.holdKey, amountMicro: 100, key: `${k}:settle` });
    expect(settle).toEqual({ chargedMicro: 100, releasedMicro: 200 });
    expect(await env.run(acts.ledgerBalance, { accountId: a.id })).toEqual({ availableMicro: 400, heldMicro: 0 });
  });
});
