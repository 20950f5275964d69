import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { campaignWorkflowId } from '../../lib/ids';
import { createCampaignActivities } from '../../activities/campaign';
import { createLedger } from '../../lib/ledger';
import { withWorker, testLogger } from '../helpers/env';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { startCallHarness, type CallHarness } from '../call/harness';
import { campaignInput, createCampaignRows, maxOverlap, testSettings } from './harness';
import type { CampaignProgress } from '../../workflows/campaign/contract';

const N = Number(process.env.CAMPAIGN_TEST_CONTACTS ?? 1_000);
let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness({ credit: 500_000_000 });
  h.sim.scenario.numbers ??= {};
});
afterAll(() => h.close());

describe(`a ${N}-contact campaign`, () => {
  it('ends every contact in exactly one terminal state, within the concurrency limit, with the ledger balanced', async () => {
    // A mix of outcomes, deterministic by position: 75% answer briefly, 12% busy, 8% fail, 5% no answer
    const phones = Array.from(
      { length: N },
      (_, i) => `+1415${String(5_000_000 + (process.pid % 1000) * 3_000 + i).padStart(7, '0')}`,
    );
    phones.forEach((p, i) => {
      const k = i % 100;
      h.sim.scenario.numbers![p] =
        k < 75
          ? { kind: 'answer', afterMs: 20, hangupAfterMs: 50 }
          : k < 87
            ? { kind: 'busy', afterMs: 20 }
            : k < 95
              ? { kind: 'failed', afterMs: 20 }
              : { kind: 'no-answer' };
    });
    const settings = testSettings({
      maxConcurrentCalls: 40,
      ringTimeoutSec: 1,
      retry: { maxAttempts: 2, backoffSec: 1, retryOn: ['busy', 'no_answer'] },
    });
    const { campaignId, contactIds } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
    await h.ctx.sql`update accounts set max_concurrent_calls = 40 where id = ${h.accountId}`;
    const ledger = createLedger(h.ctx.sql);
    const before = await ledger.balance(h.accountId);
    const started = Date.now();
    const result = (await withWorker(
      {
        activities: {
          ...h.activities,
          ...createCampaignActivities({ sql: h.ctx.sql, log: testLogger(), temporal: h.ctx.client }),
        },
        maxConcurrentActivityTaskExecutions: 200,
      },
      async (tq) =>
        h.ctx.client.workflow.execute('campaignWorkflow', {
          taskQueue: tq,
          workflowId: campaignWorkflowId(campaignId),
          args: [campaignInput(campaignId, h.accountId, settings, tq, { callTimeouts: { ringGraceSec: 2, endGraceSec: 1 } })],
        }),
    )) as CampaignProgress;
    const elapsed = (Date.now() - started) / 1000;
    console.log(
      `${N} contacts, ${result.counters.attemptsStarted} attempts in ${elapsed.toFixed(1)} s (${(result.counters.attemptsStarted / elapsed).toFixed(1)} calls/s), ${result.generation} continue-as-new`,
    );

    expect(result.status).toBe('completed');
    const contacts = await h.ctx.sql<
      { id: string; state: string; final_status: string }[]
    >`select id, state, final_status from contacts where campaign_id = ${campaignId}`;
    expect(contacts).toHaveLength(N);
    expect(contacts.every((c) => c.state === 'done' && c.final_status)).toBe(true);
    const calls = await h.ctx.sql<
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
      select id, contact_id, attempt, status, terminal, created_at, ended_at, updated_at from calls where campaign_id = ${campaignId}`;
    expect(calls.every((c) => c.terminal)).toBe(true);
    expect(new Set(calls.map((c) => `${c.contact_id}/${c.attempt}`)).size).toBe(calls.length);
    expect(new Set(calls.map((c) => c.contact_id))).toEqual(new Set(contactIds));
    expect(calls.length).toBe(result.counters.attemptsStarted);
    // each contact's last attempt is its final status: one terminal state per contact
    const last = new Map<string, { attempt: number; status: string }>();
    for (const c of calls) if ((last.get(c.contact_id)?.attempt ?? 0) < c.attempt) last.set(c.contact_id, c);
    for (const c of contacts) expect(last.get(c.id)!.status).toBe(c.final_status);
    // each attempt dialed at most once
    const dials = h.sim.createLog.filter((r) => r.to.startsWith('+1415'));
    expect(dials.length).toBe(calls.length);
    expect(
      maxOverlap(calls.map((c) => ({ start: c.created_at.getTime(), end: (c.ended_at ?? c.updated_at).getTime() }))),
    ).toBeLessThanOrEqual(40);
    // the ledger: held back to where it was, and the account paid exactly the sum of call charges
    const after = await ledger.balance(h.accountId);
    const [charged] = await h.ctx.sql<
      { sum: number }[]
    >`select coalesce(sum(charged_amount), 0)::bigint as sum from call_costs where call_id = any(${calls.map((c) => c.id)}::uuid[])`;
    expect(after.held).toBe(before.held);
    expect(before.available - after.available).toBe(charged!.sum);
    expect(result.counters.chargedMicro).toBe(charged!.sum);
    expect(await ledgerViolations(h.ctx.sql, [h.accountId])).toEqual([]);
    // A cap, not a timing: on a quiet 2-core box this takes ~2–3 min; beside other heavy work, far longer.
  }, 1_800_000);
});
