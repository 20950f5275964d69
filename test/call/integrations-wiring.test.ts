import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { callActivitiesFromConfig } from '../../activities/call';
import { createWebhookActivities } from '../../activities/webhooks';
import { issueKey } from '../../lib/accounts';
import { saveAgent } from '../../lib/agents/store';
import { callWorkflowId } from '../../lib/ids';
import { addSuppressions, getSuppression } from '../../lib/suppression';
import {
  mediaEndedSignal,
  OPT_OUT_OUTCOME,
  outcomeSignal,
  transcriptSignal,
  type CallAgentView,
  type CallInput,
  type CallResult,
} from '../../workflows/call/contract';
import { startTestApi } from '../helpers/api';
import { testLogger, withWorker } from '../helpers/env';
import { startReceiver, type Receiver } from '../integrations/receiver';
import { attach, startCallHarness, testAgent, testNumber, type CallHarness } from './harness';

/**
 * The integrations wired into the call path (design: Integrations, wiring table), each through the
 * real stack: dev server, Twilio simulator, Postgres, the call activities as the worker builds them
 * (callActivitiesFromConfig with no injected port), and a webhook endpoint on loopback.
 */
let h: CallHarness;
let receiver: Receiver;
let api: Awaited<ReturnType<typeof startTestApi>>;
let activities: Record<string, unknown>;
let apiKey: string;
const taskQueue = `call-integrations-${randomUUID()}`;

beforeAll(async () => {
  h = await startCallHarness({ credit: 20_000_000 });
  receiver = await startReceiver();
  // Deliveries are started on the orchestration queue: here, the test worker's.
  const config = { ...h.config, ORCHESTRATION_TASK_QUEUE: taskQueue, WEBHOOK_ALLOW_PRIVATE_URLS: true };
  api = await startTestApi(h.ctx, config);
  const log = testLogger();
  activities = {
    ...h.activities,
    ...callActivitiesFromConfig({ sql: h.ctx.sql, config, log, temporal: h.ctx.client }),
    ...createWebhookActivities({ sql: h.ctx.sql, log, config, temporal: h.ctx.client, retryDelaysMs: [150, 150] }),
  };
  apiKey = (await issueKey(h.ctx.sql, { accountId: h.accountId, role: 'client' })).key;
});
afterAll(async () => {
  await api?.close();
  await receiver?.close();
  await h?.close();
});

const run = <T>(fn: () => Promise<T>) => withWorker({ taskQueue, activities }, fn);
const start = (input: CallInput) =>
  h.ctx.client.workflow.start('callWorkflow', {
    taskQueue,
    workflowId: callWorkflowId(input.callId),
    args: [{ ...input, dialerTaskQueue: taskQueue }],
  });
const callOnce = async (input: CallInput): Promise<CallResult> => run(async () => (await start(input)).result());
const until = async (what: string, cond: () => Promise<boolean> | boolean, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
/** An answered call whose gateway speaks the agent's first message, reports `outcome`, and ends the stream. */
function answeredWith(to: string, opts: { outcome?: string; onAttach?: (view: CallAgentView) => void } = {}) {
  h.sim.scenario.numbers = { ...h.sim.scenario.numbers, [to]: { kind: 'answer', afterMs: 20 } };
  h.gateway.set(to, async (call, handle: WorkflowHandle) => {
    const streamSid = `MZ${randomUUID().slice(0, 8)}`;
    const view = await attach(handle, call.callSid, streamSid);
    opts.onAttach?.(view);
    await handle.signal(transcriptSignal, { seq: 1, role: 'agent', text: view.agent.firstMessage });
    if (opts.outcome) await handle.signal(outcomeSignal, { result: opts.outcome });
    await handle.signal(mediaEndedSignal, { reason: 'end_call', at: new Date().toISOString(), streamSid });
  });
}

describe('do-not-call at dial time', () => {
  it("a number on the account's list ends suppressed: not dialed, nothing held or charged", async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { ...h.sim.scenario.numbers, [to]: { kind: 'answer', afterMs: 20 } };
    await addSuppressions(h.ctx.sql, h.accountId, [{ phone: to, reason: 'asked by letter' }], 'manual');
    const input = h.input(to);
    const result = await callOnce(input);
    expect(result).toMatchObject({ status: 'suppressed', chargedMicro: 0 });
    expect(h.sim.creates(to)).toHaveLength(0);
    expect(await h.ledgerOps(input.callId)).toEqual([]);
  });

  it("the platform's list stops every account's calls to the number", async () => {
    const to = testNumber();
    await addSuppressions(h.ctx.sql, null, [{ phone: to }], 'manual');
    const input = h.input(to);
    expect((await callOnce(input)).status).toBe('suppressed');
    expect(await h.ledgerOps(input.callId)).toEqual([]);
  });
});

describe('opt-out', () => {
  it("a callee's opt_out puts the number on the account's list at settlement; the next call to it is suppressed", async () => {
    const to = testNumber();
    answeredWith(to, { outcome: OPT_OUT_OUTCOME });
    const first = h.input(to);
    const result = await callOnce(first);
    expect(result).toMatchObject({ status: 'completed', outcome: { result: OPT_OUT_OUTCOME } });
    expect(await getSuppression(h.ctx.sql, h.accountId, to)).toMatchObject({ source: 'opt_out', callId: first.callId });

    const again = h.input(to);
    expect((await callOnce(again)).status).toBe('suppressed');
    expect(await h.ledgerOps(again.callId)).toEqual([]);
    expect(h.sim.creates(to)).toHaveLength(1);
  });

  it('another outcome leaves the number callable', async () => {
    const to = testNumber();
    answeredWith(to, { outcome: 'interested' });
    expect((await callOnce(h.input(to))).status).toBe('completed');
    expect(await getSuppression(h.ctx.sql, h.accountId, to)).toBeNull();
  });
});

describe('personalised calls', () => {
  it("a campaign call's agent reaches the gateway with the contact's variables filled in", async () => {
    const to = testNumber();
    const agentId = await saveAgent(h.ctx.sql, h.accountId, {
      ...testAgent,
      firstMessage: 'Selamat pagi {{name}}, this is Aina from {{company|Aicall}} about your {{plan}} plan.',
      systemPrompt: 'You call {{name}}.',
    });
    const campaignId = randomUUID();
    await h.ctx
      .sql`insert into campaigns (id, account_id, name, agent, settings) values (${campaignId}, ${h.accountId}, 'personal', '{}', '{}')`;
    const [contact] = await h.ctx.sql<{ id: string }[]>`
      insert into contacts (campaign_id, account_id, seq, phone_e164, name, variables)
      values (${campaignId}, ${h.accountId}, 1, ${to}, 'Encik Ahmad', ${h.ctx.sql.json({ plan: 'Gold' })}) returning id`;
    let seen: CallAgentView | undefined;
    answeredWith(to, { onAttach: (v) => (seen = v) });
    const input = h.input(to, { agentId, campaignId, contactId: contact!.id });
    expect((await callOnce(input)).status).toBe('completed');
    expect(seen?.agent).toMatchObject({
      firstMessage: 'Selamat pagi Encik Ahmad, this is Aina from Aicall about your Gold plan.',
      systemPrompt: 'You call Encik Ahmad.',
    });
    const turns = await h.ctx.sql<
      { text: string }[]
    >`select text from transcript_turns where call_id = ${input.callId} order by seq`;
    expect(turns.map((t) => t.text)).toEqual(['Selamat pagi Encik Ahmad, this is Aina from Aicall about your Gold plan.']);
  });
});

describe('call.ended webhook', () => {
  it('is delivered once to a subscribed endpoint after the call settles, answered or not', async () => {
    const path = `/ok/${randomUUID()}`;
    const res = await api.call('POST', '/v1/webhooks/endpoints', {
      key: apiKey,
      body: { url: receiver.url + path, eventTypes: ['call.ended'] },
    });
    expect(res.status, res.text).toBe(201);
    const [answered, unanswered] = [testNumber(), testNumber()];
    answeredWith(answered, { outcome: 'interested' });
    h.sim.scenario.numbers = { ...h.sim.scenario.numbers, [unanswered]: { kind: 'busy' } };
    const a = h.input(answered);
    const b = h.input(unanswered);
    await run(async () => {
      const [ha, hb] = await Promise.all([start(a), start(b)]);
      await Promise.all([ha.result(), hb.result()]);
      await until('two call.ended deliveries', () => receiver.at(path).length >= 2);
    });
    const events = receiver
      .at(path)
      .map((r) => JSON.parse(r.body) as { type: string; accountId: string; data: { callId: string; status: string } });
    expect(events).toHaveLength(2);
    const byCall = new Map(events.map((e) => [e.data.callId, e]));
    expect(byCall.get(a.callId)).toMatchObject({ type: 'call.ended', accountId: h.accountId, data: { status: 'completed' } });
    expect(byCall.get(b.callId)).toMatchObject({ type: 'call.ended', accountId: h.accountId, data: { status: 'busy' } });
  });
});
