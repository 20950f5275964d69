import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { campaignWorkflowId, callWorkflowId } from '../../lib/ids';
import { createCampaignActivities } from '../../activities/campaign';
import { withWorker, testLogger } from '../helpers/env';
import { waitFor } from '../helpers/wait';
import { startCallHarness, testNumber, type CallHarness } from '../call/harness';
import { campaignInput, createCampaignRows, testSettings } from './harness';
import { pauseUpdate, progressQuery, type CampaignProgress } from '../../workflows/campaign/contract';
import { leaseTtlSec } from '../../workflows/campaign/window';
import { callStateQuery } from '../../workflows/call/contract';
import { saveAgent } from '../../lib/agents/store';

/** Issue 15, the campaign side of defects 1, 6, 8 and 10. */
let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness({ credit: 50_000_000 });
  h.sim.scenario.numbers ??= {};
});
afterAll(() => h.close());

const acts = () => createCampaignActivities({ sql: h.ctx.sql, log: testLogger(), temporal: h.ctx.client });
const EventType = temporal.api.enums.v1.EventType;
/** Live statuses from each call's callState query (the calls row shows only some of them). */
async function liveStatuses(campaignId: string): Promise<string[]> {
  const out: string[] = [];
  for (const c of await callsOf(campaignId)) {
    try {
      out.push((await h.ctx.client.workflow.getHandle(callWorkflowId(c.id)).query(callStateQuery)).status);
    } catch {
      out.push('unknown');
    }
  }
  return out;
}
/** Every string in a history, payloads decoded (the prompt or a number could hide in any of them). */
function historyText(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  if (Array.isArray(v)) return v.map(historyText).join(' ');
  if (v && typeof v === 'object')
    return Object.keys(v)
      .map((k) => historyText((v as Record<string, unknown>)[k]))
      .join(' ');
  return String(v);
}
const callsOf = (campaignId: string) =>
  h.ctx.sql<
    { id: string; status: string; contact_id: string }[]
  >`select id, status, contact_id from calls where campaign_id = ${campaignId}`;

describe('campaign recovery', () => {
  it('a call workflow terminated mid-ring or mid-conversation does not leave the campaign waiting or its contact calling', async () => {
    const ringing = testNumber();
    const talking = testNumber();
    h.sim.scenario.numbers![ringing] = { kind: 'no-answer' };
    h.sim.scenario.numbers![talking] = { kind: 'answer', afterMs: 50, hangupAfterMs: 120_000 };
    const settings = testSettings({
      maxConcurrentCalls: 2,
      ringTimeoutSec: 50,
      maxDurationSec: 120,
      retry: { maxAttempts: 1, backoffSec: 1, retryOn: [] },
    });
    const { campaignId, contactIds } = await createCampaignRows(h.ctx.sql, h.accountId, [ringing, talking], settings);
    const result = (await withWorker({ activities: { ...h.activities, ...acts() } }, async (tq) => {
      const handle = await h.ctx.client.workflow.start('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, h.accountId, settings, tq, { checkEverySec: 1 })],
      });
      await waitFor(async () => {
        const live = await liveStatuses(campaignId);
        return live.includes('in_progress') && live.includes('ringing');
      });
      for (const c of await callsOf(campaignId))
        await h.ctx.client.workflow.getHandle(callWorkflowId(c.id)).terminate('operator: test');
      return handle.result();
    })) as CampaignProgress;
    expect(result.status).toBe('completed');
    expect(result.counters).toMatchObject({ attemptsStarted: 2, attemptsFinished: 2, contactsDone: 2 });
    // `failed` from the campaign's own check; the hold sweeper, when it runs first, reports the status it settled
    const contacts = await h.ctx.sql<
      { id: string; state: string; final_status: string }[]
    >`select id, state, final_status from contacts where campaign_id = ${campaignId}`;
    expect(new Set(contacts.map((c) => c.id))).toEqual(new Set(contactIds));
    expect(contacts.every((c) => c.state === 'done' && c.final_status)).toBe(true);
    expect(await h.ctx.sql`select 1 from call_leases where campaign_id = ${campaignId}`).toHaveLength(0);
    expect((await h.ctx.sql`select status from campaigns where id = ${campaignId}`)[0]!.status).toBe('completed');
  });

  it("a call stuck in the dialer's backlog keeps its lease: sized past every wait, and renewed while the call runs", async () => {
    const phone = testNumber();
    const settings = testSettings({ maxConcurrentCalls: 1, maxDurationSec: 60, ringTimeoutSec: 2 });
    const { campaignId } = await createCampaignRows(h.ctx.sql, h.accountId, [phone], settings);
    const lease = async () =>
      (
        await h.ctx.sql<{ ttl: number; expires: Date }[]>`
      select extract(epoch from expires_at - now())::float8 as ttl, expires_at as expires from call_leases where campaign_id = ${campaignId}`
      )[0];
    await withWorker({ activities: { ...h.activities, ...acts() } }, async (tq) => {
      // no worker polls this dialer queue: the dial waits in its backlog
      const input = campaignInput(campaignId, h.accountId, settings, tq, {
        dialerTaskQueue: `nobody-${randomUUID()}`,
        checkEverySec: 1,
      });
      const handle = await h.ctx.client.workflow.start('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [input],
      });
      await waitFor(async () => (await liveStatuses(campaignId)).includes('dialing'));
      const first = (await lease())!;
      // the longest the call can take: 10 min of backlog, 8 dial attempts, ring + grace, the call, end grace
      expect(first.ttl).toBeGreaterThan(600 + 8 * 30 + settings.ringTimeoutSec + 60 + settings.maxDurationSec + 20);
      expect(first.ttl).toBeLessThanOrEqual(leaseTtlSec(settings, input.callTimeouts));
      await waitFor(async () => (await lease())!.expires.getTime() > first.expires.getTime(), 15_000);
      await handle.terminate('test over');
      for (const c of await callsOf(campaignId))
        await h.ctx.client.workflow.getHandle(callWorkflowId(c.id)).terminate('test over');
    });
  });

  it("the stored status converges to the workflow's when a pause races a status write that reaches Postgres late", async () => {
    const phones = [testNumber(), testNumber()];
    for (const p of phones) h.sim.scenario.numbers![p] = { kind: 'answer', afterMs: 50, hangupAfterMs: 3_000 };
    const settings = testSettings({ maxConcurrentCalls: 1 });
    const { campaignId } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
    const real = acts();
    let lateWrite: Promise<void> | undefined;
    // The first write of `running` loses its connection after reaching Postgres' queue: it lands
    // 2 s later, after the retried write and after the pause's write.
    const campaignSetStatus: typeof real.campaignSetStatus = async (args) => {
      if (!lateWrite && args.status === 'running') {
        lateWrite = new Promise((r) => setTimeout(r, 2_000)).then(() => real.campaignSetStatus(args));
        throw new Error('connection reset (test)');
      }
      return real.campaignSetStatus(args);
    };
    const stored = async () =>
      (
        await h.ctx.sql<
          { status: string; pause_reason: string | null }[]
        >`select status, pause_reason from campaigns where id = ${campaignId}`
      )[0];
    await withWorker({ activities: { ...h.activities, ...real, campaignSetStatus } }, async (tq) => {
      const handle = await h.ctx.client.workflow.start('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, h.accountId, settings, tq)],
      });
      await waitFor(async () => (await stored())!.status === 'running');
      expect(await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'lunch' }] })).toEqual({
        status: 'paused',
        pauseReason: 'lunch',
      });
      await lateWrite;
      await waitFor(async () => (await handle.query(progressQuery)).inFlight === 0);
      expect(await stored()).toEqual({ status: 'paused', pause_reason: 'lunch' });
      await handle.terminate('test over');
    });
  });

  it('passes the agent by reference and carries no phone number across continue-as-new', async () => {
    const phones = [testNumber(), testNumber(), testNumber()];
    for (const p of phones) h.sim.scenario.numbers![p] = { kind: 'busy', afterMs: 20 };
    const settings = testSettings({ maxConcurrentCalls: 1, retry: { maxAttempts: 2, backoffSec: 1, retryOn: ['busy'] } });
    const { campaignId } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
    const prompt = `You are a careful agent. ${'Mind the script. '.repeat(1_200)}`; // ~20 KB
    const agentId = await saveAgent(h.ctx.sql, h.accountId, {
      systemPrompt: prompt,
      firstMessage: 'Hello!',
      language: 'en-US',
      voiceId: 'v1',
      llmModel: 'm',
    });
    const result = (await withWorker({ activities: { ...h.activities, ...acts() } }, async (tq) =>
      h.ctx.client.workflow.execute('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [{ ...campaignInput(campaignId, h.accountId, settings, tq), agentId, callsPerRun: 2 }],
      }),
    )) as CampaignProgress;
    expect(result.status).toBe('completed');
    expect(result.counters.attemptsStarted).toBe(6);
    expect(result.generation).toBeGreaterThanOrEqual(2);
    const runs = [];
    for await (const wf of h.ctx.client.workflow.list({ query: `WorkflowId = '${campaignWorkflowId(campaignId)}'` }))
      runs.push(wf.runId);
    expect(runs.length).toBe(result.generation + 1);
    for (const runId of runs) {
      const events = (await h.ctx.client.workflow.getHandle(campaignWorkflowId(campaignId), runId).fetchHistory()).events ?? [];
      const all = historyText(events);
      expect(all).toContain(agentId); // the decoding works: the children's starts name the agent
      expect(all).not.toContain('Mind the script'); // no child start, no carry holds the prompt
      const carried = events
        .filter(
          (e) =>
            e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW ||
            e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
        )
        .map(historyText)
        .join('\n');
      expect(carried).toContain(campaignId);
      for (const p of phones) expect(carried).not.toContain(p);
    }
    // the calls talked with that agent: the child's input names it
    const [call] = await callsOf(campaignId);
    const child = await h.ctx.client.workflow.getHandle(callWorkflowId(call!.id)).fetchHistory();
    expect(historyText(child.events![0])).toContain(agentId);
    expect(historyText(child.events![0])).not.toContain('Mind the script');
  });
});
