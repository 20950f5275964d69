import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createTopUpActivities } from '../../activities/topup';
import { createWebhookActivities } from '../../activities/webhooks';
import { createBillplzGateway } from '../../providers/billplz/adapter';
import { billplzSettings } from '../../providers/billplz/settings';
import { createTestAccount } from '../helpers/accounts';
import { startTestApi } from '../helpers/api';
import { testContext, testLogger, withWorker, type TestContext } from '../helpers/env';
import { startReceiver, type Receiver } from '../integrations/receiver';

/** `topup.paid` from the activity that marks a top-up paid, delivered to an endpoint on loopback, once. */
let ctx: TestContext;
let receiver: Receiver;
let api: Awaited<ReturnType<typeof startTestApi>>;
const taskQueue = `topup-webhook-${randomUUID()}`;

beforeAll(async () => {
  ctx = await testContext();
  receiver = await startReceiver();
  api = await startTestApi(ctx, { ORCHESTRATION_TASK_QUEUE: taskQueue, WEBHOOK_ALLOW_PRIVATE_URLS: true });
});
afterAll(async () => {
  await api?.close();
  await receiver?.close();
});

describe('topup.paid webhook', () => {
  it('is emitted when the top-up is marked paid, and a retried mark sends nothing more', async () => {
    const a = (await createTestAccount(ctx.sql, { withKey: true })) as { id: string; apiKey: string };
    const path = `/ok/${randomUUID()}`;
    const res = await api.call('POST', '/v1/webhooks/endpoints', {
      key: a.apiKey,
      body: { url: receiver.url + path, eventTypes: ['topup.paid'] },
    });
    expect(res.status, res.text).toBe(201);
    const [t] = await ctx.sql<{ id: string }[]>`
      insert into topups (account_id, amount_sen, micro_per_sen, credit_amount, status) values (${a.id}, 1000, 10000, 10000000, 'pending') returning id`;
    const log = testLogger();
    const config = { ...ctx.config, ORCHESTRATION_TASK_QUEUE: taskQueue, WEBHOOK_ALLOW_PRIVATE_URLS: true };
    const topups = createTopUpActivities({
      sql: ctx.sql,
      log,
      gateway: createBillplzGateway(billplzSettings(config)),
      appOrigin: api.url,
      temporal: ctx.client,
      webhooks: { sql: ctx.sql, log, temporal: ctx.client, taskQueue },
    });
    await withWorker(
      { taskQueue, activities: createWebhookActivities({ sql: ctx.sql, log, config, temporal: ctx.client }) },
      async () => {
        await topups.markTopUp({ topUpId: t!.id, status: 'paid' });
        await topups.markTopUp({ topUpId: t!.id, status: 'paid' }); // a retried activity
        const end = Date.now() + 20_000;
        while (receiver.at(path).length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      },
    );
    const got = receiver.at(path);
    expect(got).toHaveLength(1);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ type: 'topup.paid', accountId: a.id });
    expect(got[0]!.body).toContain(t!.id);
    const [n] = await ctx.sql<{ events: number; deliveries: number }[]>`
      select count(distinct e.id)::int as events, count(d.id)::int as deliveries
      from webhook_events e left join webhook_deliveries d on d.event_id = e.id where e.account_id = ${a.id} and e.type = 'topup.paid'`;
    expect(n).toEqual({ events: 1, deliveries: 1 });
  });
});
