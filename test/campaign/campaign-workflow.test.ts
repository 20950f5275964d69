import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignWorkflowId } from '../../lib/ids';
import { SA } from '../../lib/search-attributes';
import { createCampaignActivities } from '../../activities/campaign';
import { createLedger } from '../../lib/ledger';
import { withWorker, testLogger } from '../helpers/env';
import { waitFor } from '../helpers/wait';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { startCallHarness, testNumber, charge, type CallHarness } from '../call/harness';
import { campaignInput, createCampaignRows, maxOverlap, testSettings } from './harness';
import {
  cancelUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  type CampaignInput,
  type CampaignProgress,
} from '../../workflows/campaign/contract';
import { writeFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';

let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness({ credit: 50_000_000 });
});
afterAll(() => h.close());

const activities = () => ({
  ...h.activities,
  ...createCampaignActivities({ sql: h.ctx.sql, log: testLogger(), temporal: h.ctx.client }),
});

type CallRow = {
  id: string;
  contact_id: string;
  attempt: number;
  status: string;
  terminal: boolean;
  created_at: Date;
  ended_at: Date | null;
  updated_at: Date;
};
async function callsOf(campaignId: string): Promise<CallRow[]> {
  return [
    ...(await h.ctx.sql<
      {
        id: string;
        contact_id: string;
        attempt: number;
        status: string;
        terminal: boolean;
        created_at: Date;
        ended_at: Date | null;
        updated_at: Date;
      }[]
    >`
    select id, contact_id, attempt, status, terminal, created_at, ended_at, updated_at from calls where campaign_id = ${campaignId} order by created_at`),
  ];
}

describe('campaignWorkflow', () => {
  it('calls every contact once to a terminal state within the concurrency limit, retrying no-answer and busy', async () => {
    const phones = Array.from({ length: 12 }, () => testNumber());
    // two answer and talk briefly, one is busy (retried, busy again), one never answers (retried), rest answer
    h.sim.scenario.numbers = {
      ...(h.sim.scenario.numbers ?? {}),
      [phones[0]!]: { kind: 'answer', afterMs: 50, hangupAfterMs: 1_200 },
      [phones[1]!]: { kind: 'answer', afterMs: 50, hangupAfterMs: 1_200 },
      [phones[2]!]: { kind: 'busy', afterMs: 50 },
      [phones[3]!]: { kind: 'no-answer' },
      [phones[4]!]: { kind: 'failed', afterMs: 50 },
    };
    for (const p of phones.slice(5)) h.sim.scenario.numbers![p] = { kind: 'answer', afterMs: 50, hangupAfterMs: 300 };
    const settings = testSettings({ maxConcurrentCalls: 3 });
    const { campaignId, contactIds } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
    const before = await createLedger(h.ctx.sql).balance(h.accountId);

    const result = (await withWorker({ activities: activities() }, async (tq) =>
      h.ctx.client.workflow.execute('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, h.accountId, settings, tq, { callsPerRun: 5 })],
      }),
    )) as CampaignProgress;

    expect(result.status).toBe('completed');
    expect(result.generation).toBeGreaterThan(0); // continued as new at least once
    // the first run handed calls still in flight to the next one
    const listed: { runId: string; startTime: Date }[] = [];
    for await (const wf of h.ctx.client.workflow.list({ query: `WorkflowId = '${campaignWorkflowId(campaignId)}'` }))
      listed.push(wf);
    const runs = listed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((r) => r.runId);
    const histories = await Promise.all(
      runs.slice(0, 2).map((r) => h.ctx.client.workflow.getHandle(campaignWorkflowId(campaignId), r).fetchHistory()),
    );
    const can = histories[0]!.events!.find(
      (e) => e.workflowExecutionContinuedAsNewEventAttributes,
    )!.workflowExecutionContinuedAsNewEventAttributes!;
    const carried = JSON.parse(Buffer.from(can.input!.payloads![0]!.data!).toString()) as CampaignInput;
    expect(Object.keys(carried.carry!.inFlight).length).toBeGreaterThan(0);
    // RECORD_CAMPAIGN_HISTORIES=1 refreshes the fixtures test/campaign/replay.test.ts replays.
    if (process.env.RECORD_CAMPAIGN_HISTORIES) {
      histories.forEach((hist, i) =>
        writeFileSync(
          new URL(`./histories/continue-as-new-with-calls-in-flight-run${i + 1}.binpb`, import.meta.url),
          temporal.api.history.v1.History.encode(hist).finish(),
        ),
      );
    }
    const calls = await callsOf(campaignId);
    const byContact = new Map<string, CallRow[]>();
    for (const c of calls) byContact.set(c.contact_id, [...(byContact.get(c.contact_id) ?? []), c]);
    expect(new Set(byContact.keys())).toEqual(new Set(contactIds));
    expect(calls.every((c) => c.terminal)).toBe(true);
    expect(byContact.get(contactIds[2]!)!.map((c) => c.status)).toEqual(['busy', 'busy']);
    expect(byContact.get(contactIds[3]!)!.map((c) => c.status)).toEqual(['no_answer', 'no_answer']);
    expect(byContact.get(contactIds[4]!)!.map((c) => c.status)).toEqual(['failed']);
    for (const id of [contactIds[0], ...contactIds.slice(5)])
      expect(byContact.get(id!)!.map((c) => c.status)).toEqual(['completed']);
    // each attempt has its own number, never reused
    for (const cs of byContact.values()) expect(cs.map((c) => c.attempt)).toEqual(cs.map((_, i) => i + 1));
    // the simulator saw each attempt dialed exactly once
    const dials = h.sim.createLog.filter((r) => phones.includes(r.to));
    expect(dials.length).toBe(calls.length);
    // concurrency never above the limit
    expect(
      maxOverlap(calls.map((c) => ({ start: c.created_at.getTime(), end: (c.ended_at ?? c.updated_at).getTime() }))),
    ).toBeLessThanOrEqual(3);
    const contacts = await h.ctx.sql<{ state: string }[]>`select state from contacts where campaign_id = ${campaignId}`;
    expect(contacts.every((c) => c.state === 'done')).toBe(true);
    // money: what the account lost is exactly what the calls were charged
    const [charged] = await h.ctx.sql<
      { sum: number }[]
    >`select coalesce(sum(charged_amount), 0)::bigint as sum from call_costs where call_id = any(${calls.map((c) => c.id)}::uuid[])`;
    const after = await createLedger(h.ctx.sql).balance(h.accountId);
    expect(after.held).toBe(before.held);
    expect(before.available - after.available).toBe(charged!.sum);
    expect(result.counters.chargedMicro).toBe(charged!.sum);
    expect(charged!.sum).toBeGreaterThanOrEqual(charge(1) * 9);
    expect(await ledgerViolations(h.ctx.sql, [h.accountId])).toEqual([]);
    const [row] = await h.ctx.sql`select status from campaigns where id = ${campaignId}`;
    expect(row!.status).toBe('completed');
    const leases = await h.ctx.sql`select 1 from call_leases where campaign_id = ${campaignId}`;
    expect(leases).toHaveLength(0);
    // children start with their memo and attributes, so they never write the memo themselves
    const child = h.ctx.client.workflow.getHandle(`call/${byContact.get(contactIds[2]!)![1]!.id}`);
    const desc = await child.describe();
    expect(await desc.memo).toEqual({ toLast4: phones[2]!.slice(-4), attempt: 2 });
    expect(desc.typedSearchAttributes.get(SA.CampaignId)).toBe(campaignId);
    expect(desc.typedSearchAttributes.get(SA.CallStatus)).toBe('busy');
    expect((await child.fetchHistory()).events!.filter((e) => e.workflowPropertiesModifiedEventAttributes)).toHaveLength(0);
  });

  it('pause, resume and cancel are updates; cancel lets calls in flight finish and settle', async () => {
    const phones = Array.from({ length: 8 }, () => testNumber());
    h.sim.scenario.numbers ??= {};
    for (const p of phones) h.sim.scenario.numbers[p] = { kind: 'answer', afterMs: 50, hangupAfterMs: 1_500 };
    const settings = testSettings({ maxConcurrentCalls: 2 });
    const { campaignId } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
    await withWorker({ activities: activities() }, async (tq) => {
      const handle = await h.ctx.client.workflow.start('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, h.accountId, settings, tq)],
      });
      await waitFor(async () => (await handle.query(progressQuery)).inFlight === 2, 20_000);
      expect(await handle.executeUpdate(pauseUpdate, { args: [{ reason: 'lunch' }] })).toEqual({
        status: 'paused',
        pauseReason: 'lunch',
      });
      await waitFor(async () => (await handle.query(progressQuery)).inFlight === 0, 20_000);
      const pausedAt = (await callsOf(campaignId)).length;
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await callsOf(campaignId)).length).toBe(pausedAt); // nothing dialed while paused
      expect((await h.ctx.sql`select status, pause_reason from campaigns where id = ${campaignId}`)[0]).toEqual({
        status: 'paused',
        pause_reason: 'lunch',
      });
      expect(await handle.executeUpdate(resumeUpdate)).toEqual({ status: 'running', pauseReason: null });
      await waitFor(async () => (await handle.query(progressQuery)).inFlight === 2, 20_000);
      expect((await handle.executeUpdate(cancelUpdate)).status).toBe('canceling');
      const result = (await handle.result()) as CampaignProgress;
      expect(result.status).toBe('canceled');
      const calls = await callsOf(campaignId);
      expect(calls.length).toBe(pausedAt + 2);
      expect(calls.length).toBeLessThan(phones.length);
      expect(calls.every((c) => c.terminal && c.status === 'completed')).toBe(true); // in-flight calls finished and settled
      await expect(handle.executeUpdate(resumeUpdate)).rejects.toThrow();
    });
  });
});
