import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTestAccount } from '../helpers/accounts';
import { startBillingStack, eventually } from './harness';
import { createLedger } from '../../lib/ledger';
import { billplzSignature } from '../../providers/billplz/signature';
import { BILLPLZ_SIM_DEFAULTS } from '../../providers/billplz/settings';

let stack: Awaited<ReturnType<typeof startBillingStack>>;
beforeAll(async () => {
  stack = await startBillingStack();
});
afterAll(() => stack.close());

async function account() {
  const a = await createTestAccount(stack.ctx.sql, { withKey: true });
  await stack.ctx.sql`update accounts set billing_email = 'payer@example.com' where id = ${a.id}`;
  return a as { id: string; apiKey: string };
}
const balance = (id: string) => createLedger(stack.ctx.sql).balance(id);
const topupRow = async (id: string) =>
  (await stack.ctx.sql<{ status: string; bill_id: string }[]>`select status, bill_id from topups where id = ${id}`)[0]!;
const postCallback = (fields: Record<string, string>) =>
  fetch(`${stack.api.url}/webhooks/billplz`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

describe('top-ups through Billplz', () => {
  it('paid flow: payment URL in the POST response, callback credits the ledger once, return page reads the database', async () => {
    const a = await account();
    const res = await stack.api.call('POST', '/v1/credits/topups', { key: a.apiKey, body: { amount: 5_000 } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ amount: 5_000, amountCurrency: 'MYR', credit: 5_000 * 2_250, status: 'pending' });
    expect(res.body.paymentUrl).toMatch(new RegExp(`^${stack.sim.url}/bills/`));
    const page = await fetch(res.body.paymentUrl);
    expect(await page.text()).toContain('Pay RM 50.00');

    const billId = (await topupRow(res.body.id)).bill_id;
    const redirect = await stack.sim.pay(billId);
    await eventually(
      () => balance(a.id),
      (b) => b.available === 11_250_000,
    );
    await eventually(
      () => topupRow(res.body.id),
      (t) => t.status === 'paid',
    );
    expect(stack.sim.callbackLog.filter((c) => c.billId === billId).map((c) => c.status)).toEqual([200]);

    const back = await fetch(redirect!);
    expect(back.status).toBe(200);
    expect(await back.text()).toContain('RM 50.00 has been credited');
    const listed = await stack.api.call('GET', '/v1/credits/topups', { key: a.apiKey });
    expect(listed.body.topups.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([[res.body.id, 'paid']]);
  });

  it('the same callback delivered five times credits once', async () => {
    const a = await account();
    const res = await stack.api.call('POST', '/v1/credits/topups', { key: a.apiKey, body: { amount: 1_000 } });
    const billId = (await topupRow(res.body.id)).bill_id;
    await stack.sim.pay(billId, { callbacks: 5 });
    await eventually(
      () => topupRow(res.body.id),
      (t) => t.status === 'paid',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await balance(a.id)).toEqual({ available: 2_250_000, held: 0 });
    expect(stack.sim.callbackLog.filter((c) => c.billId === billId).every((c) => c.status === 200)).toBe(true);
    const [ops] = await stack.ctx.sql<
      { n: number }[]
    >`select count(*)::int as n from ledger_operations where account_id = ${a.id}`;
    expect(ops!.n).toBe(1);
  });

  it('forged, tampered, unknown and foreign callbacks are 4xx and credit nothing', async () => {
    const a = await account();
    const res = await stack.api.call('POST', '/v1/credits/topups', { key: a.apiKey, body: { amount: 2_000 } });
    const billId = (await topupRow(res.body.id)).bill_id;
    stack.sim.bills.get(billId)!.paid = true;
    stack.sim.bills.get(billId)!.state = 'paid';
    const genuine = stack.sim.callbackFields(billId);

    expect((await postCallback({ ...genuine, x_signature: 'f'.repeat(64) })).status).toBe(403);
    const { x_signature: _s, ...unsigned } = genuine;
    expect((await postCallback(unsigned)).status).toBe(403);
    // amount changed, signature kept: the signature no longer matches
    expect((await postCallback({ ...genuine, amount: '200000' })).status).toBe(403);
    // amount changed and re-signed (a leaked key): the amount check still refuses it
    const resigned = (f: Record<string, string>) => ({
      ...f,
      x_signature: billplzSignature(f, BILLPLZ_SIM_DEFAULTS.xSignatureKey),
    });
    const { x_signature: _t, ...base } = genuine;
    const mismatch = await postCallback(resigned({ ...base, amount: '200000', paid_amount: '200000' }));
    expect(mismatch.status).toBe(400);
    expect((await postCallback(resigned({ ...base, id: 'nosuchbill' }))).status).toBe(404);
    expect((await postCallback(resigned({ ...base, collection_id: 'othercoll' }))).status).toBe(400);
    const garbage = await fetch(`${stack.api.url}/webhooks/billplz`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'x_signature[]=1&id[a]=2',
    });
    expect(garbage.status).toBe(403);

    await new Promise((r) => setTimeout(r, 300));
    expect(await balance(a.id)).toEqual({ available: 0, held: 0 });
    expect((await topupRow(res.body.id)).status).toBe('pending');
  });

  it("a redirect with a forged signature shows an error, never the query string's claim", async () => {
    const a = await account();
    const res = await stack.api.call('POST', '/v1/credits/topups', { key: a.apiKey, body: { amount: 1_000 } });
    const billId = (await topupRow(res.body.id)).bill_id;
    const forged = `${stack.api.url}/billing/return?${new URLSearchParams({ 'billplz[id]': billId, 'billplz[paid]': 'true', 'billplz[paid_at]': 'now', 'billplz[x_signature]': 'a'.repeat(64) })}`;
    const r = await fetch(forged);
    expect(r.status).toBe(400);
    expect(await r.text()).not.toContain('credited');
    const unpaid = await fetch(stack.sim.redirectUrl(billId)!);
    expect(await unpaid.text()).toContain('was not paid');
  });

  it('validates amounts, emails and idempotency keys', async () => {
    const a = await account();
    expect((await stack.api.call('POST', '/v1/credits/topups', { key: a.apiKey, body: { amount: 999 } })).status).toBe(400);
    expect((await stack.api.call('POST', '/v1/credits/topups', { key: a.apiKey, body: { amount: 10.5 } })).status).toBe(400);
    expect((await stack.api.call('POST', '/v1/credits/topups', { key: a.apiKey, body: { amount: '1000' } })).status).toBe(400);
    expect((await stack.api.call('POST', '/v1/credits/topups', { key: a.apiKey, body: '{not json' })).status).toBe(400);
    const k = randomUUID();
    const first = await stack.api.call('POST', '/v1/credits/topups', {
      key: a.apiKey,
      body: { amount: 1_500 },
      headers: { 'idempotency-key': k },
    });
    const again = await stack.api.call('POST', '/v1/credits/topups', {
      key: a.apiKey,
      body: { amount: 1_500 },
      headers: { 'idempotency-key': k },
    });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.paymentUrl).toBe(first.body.paymentUrl);
    // the same key with a different body: 422 (draft-ietf-httpapi-idempotency-key-header)
    expect(
      (
        await stack.api.call('POST', '/v1/credits/topups', {
          key: a.apiKey,
          body: { amount: 1_600 },
          headers: { 'idempotency-key': k },
        })
      ).status,
    ).toBe(422);
    expect(stack.sim.bills.size).toBeGreaterThan(0);
    const [n] = await stack.ctx.sql<{ n: number }[]>`select count(*)::int as n from topups where account_id = ${a.id}`;
    expect(n!.n).toBe(1);
  });
});

describe('top-up timing', () => {
  it('a callback that outruns the API response still credits once', async () => {
    const fast = await startBillingStack({ autoPay: { callbacks: 2, delayMs: 20 } });
    try {
      const a = await createTestAccount(fast.ctx.sql, { withKey: true });
      const res = await fast.api.call('POST', '/v1/credits/topups', {
        key: a.apiKey!,
        body: { amount: 1_000, email: 'p@example.com' },
      });
      expect(res.status).toBe(201);
      await eventually(
        () => createLedger(fast.ctx.sql).balance(a.id),
        (b) => b.available === 2_250_000,
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(await createLedger(fast.ctx.sql).balance(a.id)).toEqual({ available: 2_250_000, held: 0 });
    } finally {
      await fast.close();
    }
  });

  it('an unpaid bill expires; a payment that arrives after expiry is still credited', async () => {
    const short = await startBillingStack({ ttlSec: 1 });
    try {
      const a = await createTestAccount(short.ctx.sql, { withKey: true });
      const res = await short.api.call('POST', '/v1/credits/topups', {
        key: a.apiKey!,
        body: { amount: 1_000, email: 'p@example.com' },
      });
      const row = () =>
        short.ctx.sql<{ status: string; bill_id: string }[]>`select status, bill_id from topups where id = ${res.body.id}`.then(
          (r) => r[0]!,
        );
      await eventually(row, (t) => t.status === 'expired');
      expect(await createLedger(short.ctx.sql).balance(a.id)).toEqual({ available: 0, held: 0 });
      await short.sim.pay((await row()).bill_id);
      await eventually(row, (t) => t.status === 'paid');
      expect(await createLedger(short.ctx.sql).balance(a.id)).toEqual({ available: 2_250_000, held: 0 });
    } finally {
      await short.close();
    }
  });

  it('a lost callback: the workflow asks Billplz before expiring and credits the paid bill', async () => {
    const short = await startBillingStack({ ttlSec: 3 });
    try {
      const a = await createTestAccount(short.ctx.sql, { withKey: true });
      const res = await short.api.call('POST', '/v1/credits/topups', {
        key: a.apiKey!,
        body: { amount: 1_000, email: 'p@example.com' },
      });
      const row = () =>
        short.ctx.sql<{ status: string; bill_id: string }[]>`select status, bill_id from topups where id = ${res.body.id}`.then(
          (r) => r[0]!,
        );
      await short.sim.pay((await row()).bill_id, { callbacks: 0 });
      await eventually(row, (t) => t.status !== 'pending', 30_000);
      expect((await row()).status).toBe('paid');
      expect(await createLedger(short.ctx.sql).balance(a.id)).toEqual({ available: 2_250_000, held: 0 });
    } finally {
      await short.close();
    }
  });

  it('a signed paid redirect credits like a callback, even after expiry, and never says nothing was charged', async () => {
    const short = await startBillingStack({ ttlSec: 1 });
    try {
      const a = await createTestAccount(short.ctx.sql, { withKey: true });
      const res = await short.api.call('POST', '/v1/credits/topups', {
        key: a.apiKey!,
        body: { amount: 1_000, email: 'p@example.com' },
      });
      const row = () =>
        short.ctx.sql<{ status: string; bill_id: string }[]>`select status, bill_id from topups where id = ${res.body.id}`.then(
          (r) => r[0]!,
        );
      await eventually(row, (t) => t.status === 'expired');
      // the payer pays the expired bill anyway; Billplz's callback is lost, the payer comes back
      const redirect = await short.sim.pay((await row()).bill_id, { callbacks: 0 });
      const page = await fetch(redirect!);
      expect(page.status).toBe(200);
      const text = await page.text();
      expect(text).toContain('RM 10.00 paid');
      expect(text).not.toContain('nothing was charged');
      await eventually(row, (t) => t.status === 'paid');
      expect(await createLedger(short.ctx.sql).balance(a.id)).toEqual({ available: 2_250_000, held: 0 });
      // coming back again (a reload) credits nothing more
      expect(await (await fetch(redirect!)).text()).toContain('has been credited');
      const [ops] = await short.ctx.sql<
        { n: number }[]
      >`select count(*)::int as n from ledger_operations where account_id = ${a.id}`;
      expect(ops!.n).toBe(1);
    } finally {
      await short.close();
    }
  });
});
