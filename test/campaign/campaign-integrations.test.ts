import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { campaignEvent, createCampaignActivities } from '../../activities/campaign';
import { createWebhookActivities } from '../../activities/webhooks';
import { campaignProgress } from '../../api/campaigns/store';
import { issueKey } from '../../lib/accounts';
import { campaignWorkflowId } from '../../lib/ids';
import { addSuppressions, getSuppression } from '../../lib/suppression';
import { mediaEndedSignal, OPT_OUT_OUTCOME, outcomeSignal } from '../../workflows/call/contract';
import type { CampaignProgress } from '../../workflows/campaign/contract';
import { startTestApi } from '../helpers/api';
import { testLogger, withWorker } from '../helpers/env';
import { startReceiver, type Receiver } from '../integrations/receiver';
import { attach, startCallHarness, testNumber, type CallHarness } from '../call/harness';
import { campaignInput, createCampaignRows, testSettings } from './harness';

/**
 * A campaign through the wired integrations (design: Integrations): the do-not-call list at dial
 * time, an opt-out that stops the next campaign, and the campaign.* webhooks, on the real stack.
 */
let h: CallHarness;
let receiver: Receiver;
let api: Awaited<ReturnType<typeof startTestApi>>;
let apiKey: string;
const taskQueue = `campaign-integrations-${randomUUID()}`;

beforeAll(async () => {
  h = await startCallHarness({ credit: 50_000_000 });
  receiver = await startReceiver();
  apiKey = (await issueKey(h.ctx.sql, { accountId: h.accountId, role: 'client' })).key;
  api = await startTestApi(h.ctx, { ORCHESTRATION_TASK_QUEUE: taskQueue, WEBHOOK_ALLOW_PRIVATE_URLS: true });
});
afterAll(async () => {
  await api?.close();
  await receiver?.close();
  await h?.close();
});

const activities = () => {
  const log = testLogger();
  const config = { ...h.config, ORCHESTRATION_TASK_QUEUE: taskQueue, WEBHOOK_ALLOW_PRIVATE_URLS: true };
  const webhooks = { sql: h.ctx.sql, log, temporal: h.ctx.client, taskQueue };
  return {
    ...h.activities,
    ...createCampaignActivities({ sql: h.ctx.sql, log, temporal: h.ctx.client, webhooks }),
    ...createWebhookActivities({ sql: h.ctx.sql, log, config, temporal: h.ctx.client, retryDelaysMs: [150, 150] }),
  };
};
const runCampaign = async (phones: string[]) => {
  const settings = testSettings({ maxConcurrentCalls: 3 });
  const { campaignId, contactIds } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
  const result = (await withWorker({ taskQueue, activities: activities() }, async () =>
    h.ctx.client.workflow.execute('campaignWorkflow', {
      taskQueue,
      workflowId: campaignWorkflowId(campaignId),
      args: [campaignInput(campaignId, h.accountId, settings, taskQueue)],
    }),
  )) as CampaignProgress;
  return { campaignId, contactIds, result };
};
const until = async (what: string, cond: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('campaign with the integrations wired', () => {
  it('skips a listed number as suppressed, lists an opt-out for the next campaign, and sends campaign webhooks', async () => {
    const path = `/ok/${randomUUID()}`;
    const res = await api.call('POST', '/v1/webhooks/endpoints', {
      key: apiKey,
      body: { url: receiver.url + path, eventTypes: ['campaign.started', 'campaign.completed'] },
    });
    expect(res.status, res.text).toBe(201);

    const [listed, optsOut, talks] = [testNumber(), testNumber(), testNumber()];
    await addSuppressions(h.ctx.sql, h.accountId, [{ phone: listed }], 'manual');
    h.sim.scenario.numbers = {
      ...h.sim.scenario.numbers,
      [listed]: { kind: 'answer', afterMs: 20, hangupAfterMs: 300 },
      [optsOut]: { kind: 'answer', afterMs: 20 },
      [talks]: { kind: 'answer', afterMs: 20, hangupAfterMs: 300 },
    };
    h.gateway.set(optsOut, async (call, handle) => {
      await attach(handle, call.callSid, 'MZopt');
      await handle.signal(outcomeSignal, { result: OPT_OUT_OUTCOME });
      await handle.signal(mediaEndedSignal, { reason: 'end_call', at: new Date().toISOString(), streamSid: 'MZopt' });
    });

    const first = await runCampaign([listed, optsOut, talks]);
    expect(first.result.status).toBe('completed');
    expect(first.result.counters.byStatus).toMatchObject({ suppressed: 1, completed: 2 });
    expect(h.sim.creates(listed)).toHaveLength(0);
    const [suppressedCall] = await h.ctx.sql<{ id: string }[]>`select id from calls where contact_id = ${first.contactIds[0]!}`;
    expect(await h.ledgerOps(suppressedCall!.id)).toEqual([]);
    const [contact] = await h.ctx.sql<
      { state: string; final_status: string }[]
    >`select state, final_status from contacts where id = ${first.contactIds[0]!}`;
    expect(contact).toEqual({ state: 'done', final_status: 'suppressed' });
    expect((await campaignProgress(h.ctx.sql, first.campaignId)).progress.calls).toMatchObject({ suppressed: 1, completed: 2 });
    expect(await getSuppression(h.ctx.sql, h.accountId, optsOut)).toMatchObject({ source: 'opt_out' });

    // Another campaign of the account: the number that opted out is not called again.
    const second = await runCampaign([optsOut]);
    expect(second.result.counters.byStatus).toEqual({ suppressed: 1 });
    expect(h.sim.creates(optsOut)).toHaveLength(1);

    // The deliveries are workflows on the test queue: a worker runs them until they have arrived.
    await withWorker({ taskQueue, activities: activities() }, () =>
      until('started and completed of both campaigns', () => receiver.at(path).length >= 4),
    );
    const events = receiver.at(path).map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    for (const id of [first.campaignId, second.campaignId]) {
      const types = events
        .filter((e) => JSON.stringify(e.data).includes(id))
        .map((e) => e.type)
        .sort();
      expect(types).toEqual(['campaign.completed', 'campaign.started']);
    }
  });
});

describe('campaignEvent: the webhook a stored status means', () => {
  it('started, completed and canceled once; a pause per entry into paused', () => {
    expect(campaignEvent('running', 'draft', 1)).toEqual({ type: 'campaign.started', occurrence: '1' });
    expect(campaignEvent('running', 'paused', 7)).toEqual({ type: 'campaign.started', occurrence: '1' }); // a resume: same dedup key, no new event
    expect(campaignEvent('paused', 'running', 4)).toEqual({ type: 'campaign.paused', occurrence: '4' });
    expect(campaignEvent('paused', 'paused', 5)).toBeNull();
    expect(campaignEvent('completed', 'running', 9)).toEqual({ type: 'campaign.completed', occurrence: '1' });
    expect(campaignEvent('canceled', 'paused', 9)).toEqual({ type: 'campaign.canceled', occurrence: '1' });
    expect(campaignEvent('failed', 'running', 9)).toBeNull();
  });
});
