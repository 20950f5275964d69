import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { testContext, testLogger, withWorker, type TestContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { createLedger } from '../../lib/ledger';
import { createAlertActivities } from '../../activities/alerts';
import { noteProviderError } from '../../lib/provider-errors';
import { ensureAlertsSchedule } from '../../workers/alerts-schedule';
import { createCampaignActivities } from '../../activities/campaign';
import type { AlertsSweepInput, AlertsSweepResult } from '../../workflows/alerts/contract';

interface Received {
  path: string;
  key: string | undefined;
  body: any;
}

/** A webhook receiver on loopback. /ok answers 200; /flaky/<n> fails the first n requests of each alert; /down always 500. */
async function startReceiver() {
  const received: Received[] = [];
  const seen = new Map<string, number>();
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      const body = JSON.parse(data);
      const path = req.url ?? '';
      received.push({ path, key: req.headers['idempotency-key'] as string | undefined, body });
      const n = (seen.get(body.id) ?? 0) + 1;
      seen.set(body.id, n);
      const flaky = /^\/flaky\/(\d+)/.exec(path);
      const fail = path.startsWith('/down') || (flaky && n <= Number(flaky[1]));
      res.writeHead(fail ? 500 : 204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    for: (conditionKey: string) => received.filter((r) => r.body.conditionKey === conditionKey),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('alerts', () => {
  let ctx: TestContext;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let activities: ReturnType<typeof createAlertActivities>;
  const sweep = (input: AlertsSweepInput = {}) =>
    withWorker({ activities }, (taskQueue) =>
      ctx.client.workflow.execute<(i: AlertsSweepInput) => Promise<AlertsSweepResult>>('alertsSweepWorkflow', {
        taskQueue,
        workflowId: `alerts-test/${randomUUID()}`,
        args: [{ ...input, delivery: { initialInterval: '100 milliseconds', ...input.delivery } }],
      }),
    );
  const alertsOf = (conditionKey: string) =>
    ctx.sql<
      {
        id: string;
        state: string;
        cleared_at: Date | null;
        delivered_at: Date | null;
        delivery_attempts: number;
        delivery_state: string;
        last_delivery_error: string | null;
        payload: any;
        account_id: string | null;
      }[]
    >`
      select id, state, cleared_at, delivered_at, delivery_attempts, delivery_state, last_delivery_error, payload, account_id
      from alerts where condition_key = ${conditionKey} order by fired_at`;
  const accountWithWebhook = async (path: string) => {
    const a = await createTestAccount(ctx.sql);
    await ctx.sql`update accounts set alert_webhook_url = ${receiver.url + path} where id = ${a.id}`;
    return a.id;
  };

  beforeAll(async () => {
    ctx = await testContext();
    receiver = await startReceiver();
    activities = createAlertActivities({ sql: ctx.sql, log: testLogger() });
  });
  afterAll(async () => receiver?.close());

  it('low balance fires once, not again while firing, clears, and fires again only when it recurs', async () => {
    const ledger = createLedger(ctx.sql);
    const accountId = await accountWithWebhook('/ok');
    const key = `low_balance:${accountId}`;
    await ledger.credit({ accountId, amount: 5_000_000, key: `alerts-test/${randomUUID()}`, reason: 'test' });

    const first = await sweep();
    let rows = await alertsOf(key);
    expect(rows).toHaveLength(1);
    expect(first.fired).toContain(rows[0]!.id);
    expect(rows[0]).toMatchObject({ state: 'firing', delivery_state: 'delivered', delivery_attempts: 1, account_id: accountId });
    expect(rows[0]!.payload).toEqual({ availableMicro: 5_000_000, heldMicro: 0, thresholdMicro: 10_000_000 });
    expect(receiver.for(key)).toHaveLength(1);
    expect(receiver.for(key)[0]).toMatchObject({ key: rows[0]!.id, body: { kind: 'low_balance', state: 'firing', accountId } });

    await sweep();
    expect(await alertsOf(key)).toHaveLength(1);
    expect(receiver.for(key)).toHaveLength(1);

    await ledger.credit({ accountId, amount: 20_000_000, key: `alerts-test/${randomUUID()}`, reason: 'test' });
    await sweep();
    rows = await alertsOf(key);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.state).toBe('cleared');
    expect(rows[0]!.cleared_at).not.toBeNull();
    expect(receiver.for(key)).toHaveLength(1);

    await ledger.hold({ accountId, amount: 20_000_000, key: `alerts-test/${randomUUID()}` });
    await sweep();
    rows = await alertsOf(key);
    expect(rows.map((r) => r.state)).toEqual(['cleared', 'firing']);
    expect(rows[1]!.payload).toMatchObject({ availableMicro: 5_000_000, heldMicro: 20_000_000 });
    expect(receiver.for(key)).toHaveLength(2);
    expect(receiver.for(key)[1]!.body.id).toBe(rows[1]!.id);
  });

  it('delivery retries a failing webhook (same idempotency key) and later sweeps retry up to the cap', async () => {
    const ledger = createLedger(ctx.sql);
    const flaky = await accountWithWebhook('/flaky/2');
    const down = await accountWithWebhook('/down');
    for (const accountId of [flaky, down])
      await ledger.credit({ accountId, amount: 1_000_000, key: `alerts-test/${randomUUID()}`, reason: 'test' });

    const r = await sweep({ delivery: { maximumAttempts: 3, maxTotalAttempts: 6 } });
    const [f] = await alertsOf(`low_balance:${flaky}`);
    expect(f).toMatchObject({ state: 'firing', delivery_state: 'delivered', delivery_attempts: 3, last_delivery_error: null });
    expect(f!.delivered_at).not.toBeNull();
    expect(receiver.for(`low_balance:${flaky}`).map((x) => x.key)).toEqual([f!.id, f!.id, f!.id]);
    expect(r.delivered).toContain(f!.id);

    let [d] = await alertsOf(`low_balance:${down}`);
    expect(d).toMatchObject({
      delivery_state: 'failing',
      delivery_attempts: 3,
      last_delivery_error: 'webhook answered HTTP 500',
      delivered_at: null,
    });
    expect(r.undelivered).toContain(d!.id);

    await sweep({ delivery: { maximumAttempts: 3, maxTotalAttempts: 6 } });
    [d] = await alertsOf(`low_balance:${down}`);
    expect(d!.delivery_attempts).toBe(6);
    await sweep({ delivery: { maximumAttempts: 3, maxTotalAttempts: 6 } });
    [d] = await alertsOf(`low_balance:${down}`);
    expect(d!.delivery_attempts).toBe(6);
    expect(receiver.for(`low_balance:${down}`)).toHaveLength(6);
    // The flaky account's alert was delivered once and is not sent again.
    expect(receiver.for(`low_balance:${flaky}`)).toHaveLength(3);

    // A 0 threshold switches the alert off: the next sweep clears it, and a cleared alert is not retried.
    await ctx.sql`update accounts set low_balance_threshold = 0 where id = ${down}`;
    await sweep();
    [d] = await alertsOf(`low_balance:${down}`);
    expect(d).toMatchObject({ state: 'cleared', delivery_attempts: 6 });
  });

  it('campaign failure rate fires only above 20% of the calls in the window', async () => {
    const accountId = await accountWithWebhook('/ok');
    const campaignId = randomUUID();
    await ctx.sql`insert into campaigns (id, account_id, name, agent, settings) values (${campaignId}, ${accountId}, 'alerts', '{}', '{}')`;
    const call = (status: string) => ctx.sql`
      insert into calls (id, account_id, campaign_id, to_e164, status, terminal) values (${randomUUID()}, ${accountId}, ${campaignId}, '+60123456789', ${status}, true)`;
    for (let i = 0; i < 8; i++) await call(i < 4 ? 'completed' : i < 6 ? 'busy' : 'no-answer');
    await call('failed');
    await call('failed'); // 2 of 10 = 20%: not above
    const key = `campaign_failure_rate:${campaignId}`;
    await sweep();
    expect(await alertsOf(key)).toHaveLength(0);
    await call('failed'); // 3 of 11 = 27%
    await sweep();
    const rows = await alertsOf(key);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      state: 'firing',
      delivery_state: 'delivered',
      payload: { campaignId, calls: 11, failed: 3 },
    });
    expect(receiver.for(key)).toHaveLength(1);
  });

  it('provider 5xx bursts fire a platform alert from recorded provider errors', async () => {
    const vendor = `test-vendor-${randomUUID().slice(0, 8)}`;
    const log = testLogger();
    for (let i = 0; i < 4; i++) await noteProviderError(ctx.sql, log, { vendor, code: 20500, httpStatus: 503 });
    await noteProviderError(ctx.sql, log, { vendor, code: 21211, httpStatus: 400 }); // our fault: not a burst
    const key = `provider_5xx_burst:${vendor}`;
    await sweep();
    expect(await alertsOf(key)).toHaveLength(0);
    await noteProviderError(ctx.sql, log, { vendor, code: 'ETIMEDOUT', unavailable: true });
    await sweep();
    const rows = await alertsOf(key);
    expect(rows).toHaveLength(1);
    // Platform alerts go to ALERT_WEBHOOK_URL; none is configured here, which is recorded.
    expect(rows[0]).toMatchObject({
      account_id: null,
      state: 'firing',
      delivery_state: 'undeliverable',
      payload: { vendor, errors: 5 },
    });
  });

  it('a campaign paused for credits: the alert the campaign raised is delivered once and cleared when it resumes', async () => {
    const accountId = await accountWithWebhook('/ok');
    const campaignId = randomUUID();
    await ctx.sql`insert into campaigns (id, account_id, name, agent, settings, status, pause_reason)
                  values (${campaignId}, ${accountId}, 'credits', '{}', '{}', 'paused', 'insufficient_credits')`;
    await createCampaignActivities({ sql: ctx.sql, log: testLogger() }).campaignRaiseAlert({
      accountId,
      campaignId,
      kind: 'insufficient_credits',
      payload: { campaignId },
    });
    const key = `insufficient_credits:${accountId}`;
    await sweep();
    await sweep();
    let rows = await alertsOf(key);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ state: 'firing', delivery_state: 'delivered', payload: { campaignId } });
    expect(receiver.for(key)).toHaveLength(1);
    await ctx.sql`update campaigns set status = 'running', pause_reason = null where id = ${campaignId}`;
    await sweep();
    rows = await alertsOf(key);
    expect(rows.map((r) => r.state)).toEqual(['cleared']);
    expect(receiver.for(key)).toHaveLength(1);
  });

  it('the schedule is created idempotently and its runs sweep through the worker', async () => {
    const scheduleId = `alerts-test-${randomUUID()}`;
    await withWorker({ activities }, async (taskQueue) => {
      const first = await ensureAlertsSchedule(ctx.client, { taskQueue, scheduleId, every: '1 hour' });
      const second = await ensureAlertsSchedule(ctx.client, { taskQueue, scheduleId, every: '2 hours' });
      expect([first.created, second.created]).toEqual([true, false]);
      const handle = ctx.client.schedule.getHandle(scheduleId);
      try {
        const desc = await handle.describe();
        expect(desc.action).toMatchObject({ type: 'startWorkflow', workflowType: 'alertsSweepWorkflow', taskQueue });
        expect(desc.spec.intervals?.[0]?.every).toBe(2 * 3600 * 1000);
        const accountId = await accountWithWebhook('/ok');
        await createLedger(ctx.sql).credit({ accountId, amount: 1, key: `alerts-test/${randomUUID()}`, reason: 'test' });
        await handle.trigger();
        let workflowId: string | undefined;
        for (let i = 0; i < 100 && !workflowId; i++) {
          const recent = (await handle.describe()).info.recentActions;
          workflowId = recent[0]?.action.workflow.workflowId;
          if (!workflowId) await new Promise((r) => setTimeout(r, 100));
        }
        expect(workflowId).toBeDefined();
        const result: AlertsSweepResult = await ctx.client.workflow.getHandle(workflowId!).result();
        const [row] = await alertsOf(`low_balance:${accountId}`);
        expect(result.fired).toContain(row!.id);
      } finally {
        await handle.delete();
      }
    });
  });
});
