import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';

// Fixtures in a window no other test writes to (every other test creates rows at now()).
const FROM = '2019-11-01';
const TO = '2020-01-01';
const ADMIN_KEY = `admin-${randomUUID()}`;

interface CallFx {
  status: string;
  at: string;
  answered?: boolean;
  duration?: number;
  terminal?: boolean;
  cost?: [number, number, number, number];
  charged?: number;
  billed?: number;
}

async function insertCall(sql: TestContext['sql'], accountId: string, c: CallFx) {
  const id = randomUUID();
  const at = new Date(c.at);
  await sql`
    insert into calls (id, account_id, to_e164, status, terminal, created_at, answered_at, ended_at, duration_sec)
    values (${id}, ${accountId}, '+60123456789', ${c.status}, ${c.terminal ?? true}, ${at},
            ${c.answered ? at : null}, ${at}, ${c.duration ?? 0})`;
  if (c.cost) {
    const [stt, llm, tts, tw] = c.cost;
    const total = stt + llm + tts + tw;
    await sql`
      insert into call_costs (call_id, account_id, price_list_version, price_list, billed_seconds, telephony_seconds,
        azure_stt_cost, llm_cost, tts_cost, twilio_cost, total_provider_cost, charged_amount, profit_margin, created_at)
      values (${id}, ${accountId}, 'test', '{}'::jsonb, ${c.billed!}, ${c.billed!}, ${stt}, ${llm}, ${tts}, ${tw}, ${total},
        ${c.charged!}, ${c.charged! - total}, ${at})`;
  }
}

async function insertTopUp(
  sql: TestContext['sql'],
  accountId: string,
  status: string,
  amountSen: number,
  at: string,
  withBill = true,
) {
  await sql`
    insert into topups (account_id, amount_sen, micro_per_sen, credit_amount, status, bill_id, created_at)
    values (${accountId}, ${amountSen}, 2250, ${amountSen * 2250}, ${status}, ${withBill ? `bill-${randomUUID()}` : null}, ${new Date(at)})`;
}

describe('reports', () => {
  let ctx: TestContext;
  let a: { id: string; apiKey?: string };
  let b: { id: string; apiKey?: string };
  let api: Awaited<ReturnType<typeof startTestApi>>;

  beforeAll(async () => {
    ctx = await testContext();
    a = await createTestAccount(ctx.sql, { withKey: true, name: 'report A' });
    b = await createTestAccount(ctx.sql, { withKey: true, name: 'report B' });
    // Account A: 6 terminal calls in the window, 2 answered and completed.
    await insertCall(ctx.sql, a.id, {
      status: 'completed',
      at: '2019-11-10T10:00:00Z',
      answered: true,
      duration: 60,
      cost: [1000, 2000, 3000, 13000],
      charged: 200_000,
      billed: 60,
    });
    await insertCall(ctx.sql, a.id, {
      status: 'completed',
      at: '2019-12-05T10:00:00Z',
      answered: true,
      duration: 90,
      cost: [10000, 5000, 5000, 10000],
      charged: 300_000,
      billed: 90,
    });
    await insertCall(ctx.sql, a.id, { status: 'busy', at: '2019-12-06T10:00:00Z' });
    await insertCall(ctx.sql, a.id, { status: 'failed', at: '2019-12-07T10:00:00Z' });
    await insertCall(ctx.sql, a.id, { status: 'no-answer', at: '2019-12-08T10:00:00Z' });
    await insertCall(ctx.sql, a.id, { status: 'canceled', at: '2019-12-31T23:59:59Z' });
    // Excluded: in flight, and outside the window on either side.
    await insertCall(ctx.sql, a.id, { status: 'in-progress', at: '2019-12-09T10:00:00Z', terminal: false, answered: true });
    await insertCall(ctx.sql, a.id, {
      status: 'completed',
      at: '2020-01-01T00:00:00Z',
      answered: true,
      duration: 10,
      cost: [1, 1, 1, 1],
      charged: 9999,
      billed: 10,
    });
    await insertCall(ctx.sql, a.id, {
      status: 'completed',
      at: '2019-10-31T23:59:59Z',
      answered: true,
      duration: 10,
      cost: [1, 1, 1, 1],
      charged: 9999,
      billed: 10,
    });
    await insertTopUp(ctx.sql, a.id, 'paid', 1000, '2019-11-02T00:00:00Z');
    await insertTopUp(ctx.sql, a.id, 'pending', 1000, '2019-11-03T00:00:00Z');
    await insertTopUp(ctx.sql, a.id, 'expired', 5000, '2019-11-04T00:00:00Z');
    await insertTopUp(ctx.sql, a.id, 'creating', 5000, '2019-11-05T00:00:00Z', false);
    await insertTopUp(ctx.sql, a.id, 'paid', 5000, '2020-01-05T00:00:00Z');
    // Account B: one completed call, two paid bills.
    await insertCall(ctx.sql, b.id, {
      status: 'completed',
      at: '2019-12-15T10:00:00Z',
      answered: true,
      duration: 30,
      cost: [1000, 1000, 1000, 2000],
      charged: 100_000,
      billed: 30,
    });
    await insertTopUp(ctx.sql, b.id, 'paid', 2000, '2019-12-01T00:00:00Z');
    await insertTopUp(ctx.sql, b.id, 'paid', 2000, '2019-12-02T00:00:00Z');
    api = await startTestApi(ctx, { ADMIN_API_KEY: ADMIN_KEY });
  });
  afterAll(async () => api?.close());

  it("an account's summary equals the hand-computed figures", async () => {
    const r = await api.call('GET', `/v1/reports/summary?from=${FROM}&to=${TO}`, { key: a.apiKey });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      accountId: a.id,
      from: '2019-11-01T00:00:00.000Z',
      to: '2020-01-01T00:00:00.000Z',
      calls: 6,
      answered: 2,
      completed: 2,
      answerRate: 0.3333,
      successRate: 0.3333,
      averageDurationSec: 75,
      billedSeconds: 150,
      minutes: 2.5,
      costMicro: 49_000,
      revenueMicro: 500_000,
      profitMicro: 451_000,
      costPerCallMicro: 8_167, // 49000 / 6 = 8166.67
      revenuePerCallMicro: 83_333, // 500000 / 6 = 83333.33
      profitPerCallMicro: 75_167, // 451000 / 6 = 75166.67
    });
  });

  it('an empty window gives zeros and nulls, not errors', async () => {
    const r = await api.call('GET', '/v1/reports/summary?from=2001-01-01&to=2001-02-01', { key: a.apiKey });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      calls: 0,
      successRate: null,
      averageDurationSec: null,
      costPerCallMicro: null,
      revenueMicro: 0,
    });
  });

  it('the admin summary adds top-up conversion and monthly revenue per account, and platform totals', async () => {
    const r = await api.call('GET', `/v1/admin/reports/summary?from=${FROM}&to=${TO}`, { key: ADMIN_KEY });
    expect(r.status).toBe(200);
    const byId = Object.fromEntries(r.body.accounts.map((x: { accountId: string }) => [x.accountId, x]));
    expect(byId[a.id]).toMatchObject({
      name: 'report A',
      calls: 6,
      completed: 2,
      revenueMicro: 500_000,
      profitPerCallMicro: 75_167,
      topUps: { billsCreated: 3, billsPaid: 1, conversion: 0.3333, paidCreditMicro: 2_250_000 },
      monthlyRevenue: [
        { month: '2019-11', revenueMicro: 200_000 },
        { month: '2019-12', revenueMicro: 300_000 },
      ],
    });
    expect(byId[b.id]).toMatchObject({
      name: 'report B',
      calls: 1,
      answered: 1,
      successRate: 1,
      averageDurationSec: 30,
      minutes: 0.5,
      costMicro: 5_000,
      revenueMicro: 100_000,
      profitMicro: 95_000,
      costPerCallMicro: 5_000,
      topUps: { billsCreated: 2, billsPaid: 2, conversion: 1, paidCreditMicro: 9_000_000 },
      monthlyRevenue: [{ month: '2019-12', revenueMicro: 100_000 }],
    });
    // Nobody else writes to this window, so the platform totals are A + B.
    expect(r.body.totals).toEqual({
      calls: 7,
      answered: 3,
      completed: 3,
      answerRate: 0.4286,
      successRate: 0.4286,
      averageDurationSec: 60,
      billedSeconds: 180,
      minutes: 3,
      costMicro: 54_000,
      revenueMicro: 600_000,
      profitMicro: 546_000,
      costPerCallMicro: 7_714,
      revenuePerCallMicro: 85_714,
      profitPerCallMicro: 78_000,
      topUps: { billsCreated: 5, billsPaid: 3, conversion: 0.6, paidCreditMicro: 11_250_000 },
    });
  });

  it('rejects bad windows with 400 and the wrong key kind with 403', async () => {
    for (const q of [
      'from=yesterday',
      'from=2020-02-01&to=2020-01-01',
      'from=2020-01-01&to=2020-01-01',
      'from=2010-01-01&to=2020-01-01',
      'since=2020-01-01',
    ]) {
      const r = await api.call('GET', `/v1/reports/summary?${q}`, { key: a.apiKey });
      expect(r.status, q).toBe(400);
      expect(r.body.message, q).toBeTruthy();
    }
    expect((await api.call('GET', '/v1/admin/reports/summary', { key: a.apiKey })).status).toBe(403);
    expect((await api.call('GET', '/v1/reports/summary', { key: ADMIN_KEY })).status).toBe(403);
    expect(
      (
        await api.call(
          'GET',
          `/v1/admin/reports/summary?from=${encodeURIComponent('2019-11-01T00:00:00+08:00')}&to=2020-01-01T00:00:00Z`,
          { key: ADMIN_KEY },
        )
      ).status,
    ).toBe(200);
  });
});
