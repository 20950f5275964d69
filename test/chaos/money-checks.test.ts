import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testContext, type TestContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { createLedger } from '../../lib/ledger';
import { startBillplzSim, type BillplzSim } from '../../sim/billplz/server';
import { BILLPLZ_SIM_DEFAULTS } from '../../providers/billplz/settings';
import { paidBillsCreditedOnce, startHoldWatch } from '../../chaos/money-checks';

/**
 * The chaos run's two money invariants (chaos/money-checks.ts) on hand-made states: each flags
 * exactly the stranded hold or the uncredited / over-credited bill, and passes a correct state.
 */
let ctx: TestContext;
let billplz: BillplzSim;
beforeAll(async () => {
  ctx = await testContext();
  billplz = await startBillplzSim();
});
afterAll(async () => billplz?.close());

async function callWithHold(accountId: string, ageSec: number, settings = { ringTimeoutSec: 5, maxDurationSec: 10 }) {
  const { sql } = ctx;
  const campaignId = randomUUID();
  const contactId = randomUUID();
  const callId = randomUUID();
  const key = `call/${callId}:hold`;
  await sql`insert into campaigns (id, account_id, name, agent, settings, contact_count) values (${campaignId}, ${accountId}, 'money', ${sql.json({} as never)}, ${sql.json(settings as never)}, 1)`;
  await sql`insert into contacts (id, campaign_id, account_id, seq, phone_e164) values (${contactId}, ${campaignId}, ${accountId}, 1, '+60123456789')`;
  await sql`insert into calls (id, account_id, campaign_id, contact_id, to_e164, status, hold_key) values (${callId}, ${accountId}, ${campaignId}, ${contactId}, '+60123456789', 'dialing', ${key})`;
  await createLedger(sql).hold({ accountId, amount: 10_000, key });
  await sql`update ledger_operations set created_at = now() - make_interval(secs => ${ageSec}) where key = ${key}`;
  return key;
}

async function topUp(accountId: string, o: { paid: boolean; status: string; credits: number }) {
  const { sql } = ctx;
  const form = new URLSearchParams({
    collection_id: BILLPLZ_SIM_DEFAULTS.collectionId,
    email: 'a@example.com',
    name: 'A',
    amount: '2000',
    callback_url: 'http://127.0.0.1:9/cb',
    description: 'top-up',
  });
  const res = await fetch(`${billplz.url}/api/v3/bills`, {
    method: 'POST',
    body: form,
    headers: { authorization: `Basic ${Buffer.from(`${BILLPLZ_SIM_DEFAULTS.apiKey}:`).toString('base64')}` },
  });
  const bill = (await res.json()) as { id: string };
  if (o.paid) await billplz.pay(bill.id, { callbacks: 0 });
  const id = randomUUID();
  await sql`insert into topups (id, account_id, amount_sen, micro_per_sen, credit_amount, status, bill_id) values (${id}, ${accountId}, 2000, 2250, ${2000 * 2250}, ${o.status}, ${bill.id})`;
  if (o.credits) await createLedger(sql).credit({ accountId, amount: 2000 * 2250, key: `topup/${id}:credit`, reason: 'top-up' });
  return id;
}

describe('chaos money invariants', () => {
  it("a hold pending past its call's maximum + grace is a violation; a younger one is not", async () => {
    const a = await createTestAccount(ctx.sql);
    await createLedger(ctx.sql).credit({ accountId: a.id, amount: 1_000_000, key: `seed/${a.id}`, reason: 'seed' });
    const stranded = await callWithHold(a.id, 600); // 10 min > 5 + 10 + 60 s
    await callWithHold(a.id, 30); // within 5 + 10 + 60 s
    const watch = startHoldWatch(ctx.sql, [a.id], { graceSec: 60, everyMs: 100 });
    await new Promise((r) => setTimeout(r, 300));
    const c = await watch.stop();
    expect(c.checked).toBe(2);
    expect(c.violations).toHaveLength(1);
    expect(c.violations[0]).toContain(stranded);
    // The outage so far extends the grace: nothing could resolve a hold meanwhile.
    const lenient = startHoldWatch(ctx.sql, [a.id], { graceSec: 60, extraGraceSec: () => 3_600, everyMs: 100 });
    expect((await lenient.stop()).violations).toEqual([]);
  });

  it('a bill paid on Billplz must be credited exactly once; an unpaid one never', async () => {
    const a = await createTestAccount(ctx.sql);
    const billplzAt = { baseUrl: billplz.url, apiKey: BILLPLZ_SIM_DEFAULTS.apiKey };
    await topUp(a.id, { paid: true, status: 'paid', credits: 1 });
    await topUp(a.id, { paid: false, status: 'expired', credits: 0 });
    expect(await paidBillsCreditedOnce(ctx.sql, billplzAt, [a.id])).toMatchObject({ checked: 2, violations: [] });

    const lost = await topUp(a.id, { paid: true, status: 'pending', credits: 0 });
    const unpaidCredited = await topUp(a.id, { paid: false, status: 'paid', credits: 1 });
    const c = await paidBillsCreditedOnce(ctx.sql, billplzAt, [a.id]);
    expect(c.checked).toBe(4);
    expect(c.violations.filter((v) => v.includes(lost))).toEqual([
      expect.stringMatching(/paid on Billplz, top-up pending/),
      expect.stringMatching(/0 ledger credits/),
    ]);
    expect(c.violations.filter((v) => v.includes(unpaidCredited))).toEqual([
      expect.stringMatching(/credited, but bill .* is not paid/),
    ]);
  });
});
