import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { campaignWorkflowId } from '../../lib/ids';
import { createCampaignActivities, windowPosition } from '../../activities/campaign';
import { withWorker, testLogger } from '../helpers/env';
import { waitFor } from '../helpers/wait';
import { startCallHarness, testNumber, type CallHarness } from '../call/harness';
import { campaignInput, createCampaignRows, testSettings } from './harness';
import { progressQuery, cancelUpdate, type CampaignProgress } from '../../workflows/campaign/contract';

let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness({ credit: 50_000_000 });
  h.sim.scenario.numbers ??= {};
});
afterAll(() => h.close());

const activities = () => ({
  ...h.activities,
  ...createCampaignActivities({ sql: h.ctx.sql, log: testLogger(), temporal: h.ctx.client }),
});
const answering = (n: number, talkMs = 400) =>
  Array.from({ length: n }, () => {
    const p = testNumber();
    h.sim.scenario.numbers![p] = { kind: 'answer', afterMs: 50, hangupAfterMs: talkMs };
    return p;
  });

describe('campaign lifecycle', () => {
  it('a worker restart mid-campaign dials nobody twice and finishes every contact', async () => {
    const phones = answering(10, 600);
    const settings = testSettings({ maxConcurrentCalls: 3 });
    const { campaignId } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
    const taskQueue = `restart-${randomUUID()}`;
    await withWorker({ activities: activities(), taskQueue }, async (tq) => {
      const handle = await h.ctx.client.workflow.start('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, h.accountId, settings, tq)],
      });
      await waitFor(async () => (await handle.query(progressQuery)).counters.attemptsStarted >= 4);
    }); // the first worker is gone here, calls in flight included
    const result = await withWorker(
      { activities: activities(), taskQueue },
      async () => (await h.ctx.client.workflow.getHandle(campaignWorkflowId(campaignId)).result()) as CampaignProgress,
    );
    expect(result.status).toBe('completed');
    const calls = await h.ctx.sql<
      { to_e164: string; terminal: boolean }[]
    >`select to_e164, terminal from calls where campaign_id = ${campaignId}`;
    expect(calls).toHaveLength(10);
    expect(calls.every((c) => c.terminal)).toBe(true);
    const dialsPerNumber = new Map<string, number>();
    for (const d of h.sim.createLog.filter((r) => phones.includes(r.to)))
      dialsPerNumber.set(d.to, (dialsPerNumber.get(d.to) ?? 0) + 1);
    expect([...dialsPerNumber.values()]).toEqual(Array(10).fill(1));
  });

  it('waits out a closed calling window without dialing, and dials inside an open one', async () => {
    const now = new Date();
    const utcMinute = now.getUTCHours() * 60 + now.getUTCMinutes();
    const hhmm = (m: number) =>
      `${String(Math.floor(((m + 1440) % 1440) / 60)).padStart(2, '0')}:${String(((m + 1440) % 1440) % 60).padStart(2, '0')}`;
    const closed = { timeZone: 'UTC', start: hhmm(utcMinute + 120), end: hhmm(utcMinute + 180), weekdays: [1, 2, 3, 4, 5, 6, 7] };
    if (closed.start > closed.end) closed.end = '23:59';
    const phones = answering(2);
    const settings = testSettings({ callingWindow: closed });
    const { campaignId } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
    await withWorker({ activities: activities() }, async (tq) => {
      const handle = await h.ctx.client.workflow.start('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, h.accountId, settings, tq)],
      });
      await waitFor(async () => (await handle.query(progressQuery)).waitingForWindow);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await h.ctx.sql`select 1 from calls where campaign_id = ${campaignId}`).toHaveLength(0);
      await handle.executeUpdate(cancelUpdate);
      expect(((await handle.result()) as CampaignProgress).status).toBe('canceled');
    });

    const open = { timeZone: 'Asia/Kuala_Lumpur', start: '00:00', end: '23:59', weekdays: [1, 2, 3, 4, 5, 6, 7] };
    const phones2 = answering(3);
    const settings2 = testSettings({ callingWindow: open });
    const c2 = await createCampaignRows(h.ctx.sql, h.accountId, phones2, settings2);
    await withWorker({ activities: activities() }, async (tq) =>
      h.ctx.client.workflow.execute('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(c2.campaignId),
        args: [campaignInput(c2.campaignId, h.accountId, settings2, tq)],
      }),
    );
    const calls = await h.ctx.sql<{ created_at: Date }[]>`select created_at from calls where campaign_id = ${c2.campaignId}`;
    expect(calls).toHaveLength(3);
    for (const c of calls) expect(windowPosition(open, c.created_at.getTime()).open).toBe(true);
  });
});

describe('calling window arithmetic', () => {
  const w = { timeZone: 'Asia/Kuala_Lumpur', start: '09:00', end: '18:00', weekdays: [1, 2, 3, 4, 5] };
  it('knows when a window is open and how long until it changes', () => {
    // Wed 2026-11-25 10:00 MYT = 02:00 UTC: open, closes at 18:00 MYT (8 h)
    expect(windowPosition(w, Date.parse('2026-11-25T02:00:00Z'))).toEqual({ open: true, msUntilChange: 8 * 3600_000 });
    // Fri 18:30 MYT: closed until Mon 09:00 MYT (2 days 14.5 h)
    expect(windowPosition(w, Date.parse('2026-11-27T10:30:00Z'))).toEqual({
      open: false,
      msUntilChange: (2 * 24 + 14.5) * 3600_000,
    });
  });
  it('follows daylight saving time in zones that have it', () => {
    const ny = { timeZone: 'America/New_York', start: '09:00', end: '17:00', weekdays: [7] };
    // Sun 2026-03-08: clocks go forward at 02:00; 09:00 EDT is 13:00 UTC (not 14:00)
    expect(windowPosition(ny, Date.parse('2026-03-08T06:00:00Z'))).toEqual({ open: false, msUntilChange: 7 * 3600_000 });
  });
});
