import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { callActivitiesFromConfig } from '../../activities/call';
import type { CallActivities, DialerActivities, HoldSweeperActivities } from '../../activities/call/types';
import { callWorkflowId, campaignWorkflowId } from '../../lib/ids';
import {
  callStateQuery,
  mediaEndedSignal,
  outcomeSignal,
  transcriptSignal,
  usageSignal,
  type CallInput,
  type CallResult,
} from '../../workflows/call/contract';
import { withWorker, testLogger } from '../helpers/env';
import { issueKey } from '../../lib/accounts';
import { ensureHoldSweeperSchedule } from '../../workers/hold-sweeper-schedule';
import { attach, charge, recordHistory, startCallHarness, testNumber, writeRecordedHistories, type CallHarness } from './harness';

/**
 * Issue 15's call-side defects, each against the real stack (dev server, Twilio simulator,
 * Postgres): every test here fails on the code before v1.
 */
let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness({ credit: 20_000_000 });
});
afterAll(async () => {
  writeRecordedHistories();
  await h?.close();
});

const acts = () => h.activities as unknown as CallActivities & DialerActivities & HoldSweeperActivities;
const start = (tq: string, input: CallInput) =>
  h.ctx.client.workflow.start('callWorkflow', {
    taskQueue: tq,
    workflowId: callWorkflowId(input.callId),
    args: [{ ...input, dialerTaskQueue: tq }],
  });
async function row(callId: string) {
  const [r] = await h.ctx.sql<
    {
      status: string;
      terminal: boolean;
      end_reason: string | null;
      error: string | null;
      outcome: { notes?: string } | null;
      duration_sec: number | null;
    }[]
  >`
    select status, terminal, end_reason, error, outcome, duration_sec from calls where id = ${callId}`;
  return r!;
}
/** A stand-in for the campaign: any open workflow records the callFinished signals sent to its id. */
async function standInCampaign(tq: string) {
  const campaignId = randomUUID();
  await h.ctx
    .sql`insert into campaigns (id, account_id, name, agent, settings) values (${campaignId}, ${h.accountId}, 'c', '{}', '{}')`;
  const parentTo = testNumber();
  h.sim.scenario.numbers = { ...h.sim.scenario.numbers, [parentTo]: { kind: 'no-answer' } };
  const parent = h.input(parentTo, { ringTimeoutSec: 120 });
  const handle = await h.ctx.client.workflow.start('callWorkflow', {
    taskQueue: tq,
    workflowId: campaignWorkflowId(campaignId),
    args: [{ ...parent, dialerTaskQueue: tq }],
  });
  const reports = async () =>
    (await handle.fetchHistory())
      .events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'callFinished')
      .map(
        (e) =>
          JSON.parse(
            Buffer.from(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!.data!).toString(),
          ) as CallResult,
      );
  /** Canceled, the stand-in voids its own hold: the ledger balances. */
  const close = async () => {
    await handle.cancel();
    await handle.result();
  };
  return { campaignId, handle, reports, close };
}

describe('defect 1: a call workflow that ends abnormally never strands its hold', () => {
  it('terminated mid-ring: the sweeper hangs the call up, voids the hold, marks it abandoned and tells the campaign', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'no-answer' } };
    const before = await h.ledger.balance(h.accountId);
    await withWorker({ activities: h.activities }, async (tq) => {
      const campaign = await standInCampaign(tq);
      const input = h.input(to, {
        ringTimeoutSec: 60,
        campaignId: campaign.campaignId,
        parentWorkflowId: campaign.handle.workflowId,
      });
      const handle = await start(tq, input);
      await expect.poll(async () => (await handle.query(callStateQuery)).status, { timeout: 10_000 }).toBe('ringing');
      await handle.terminate('operator');
      expect((await h.ledger.balance(h.accountId)).heldMicro).toBeGreaterThan(before.heldMicro); // stranded, until the sweep
      // One pass of the sweeper's workflow, as its Schedule starts it.
      const pass = await h.ctx.client.workflow.execute('holdSweeperWorkflow', {
        taskQueue: tq,
        workflowId: `sweep-${randomUUID()}`,
        args: [{ olderThanSec: 0 }],
      });
      expect(pass.resolved).toContain(input.callId);
      expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'void']);
      expect(await row(input.callId)).toMatchObject({ status: 'failed', terminal: true, end_reason: 'abandoned' });
      expect(h.sim.creates(to)[0] && h.sim.call(h.sim.creates(to)[0]!.callSid!)!.status).toBe('canceled');
      expect(await campaign.reports()).toEqual([
        expect.objectContaining({ callId: input.callId, status: 'failed', chargedMicro: 0, endReason: 'abandoned' }),
      ]);
      // A second pass finds nothing; the campaign's own check (callReconcile) reads the same result.
      expect((await acts().callSweepHolds({ olderThanSec: 0 })).resolved).not.toContain(input.callId);
      expect(await acts().callReconcile({ callId: input.callId })).toMatchObject({ status: 'failed', endReason: 'abandoned' });
      await campaign.close();
    });
    const after = await h.ledger.balance(h.accountId);
    expect(after.heldMicro).toBe(before.heldMicro);
    expect(after.availableMicro).toBe(before.availableMicro);
  });

  it("terminated mid-conversation: the sweeper hangs up, settles on Twilio's duration with the usage and transcript the run knew", async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20 } }; // never hangs up by itself
    h.gateway.set(to, async (call, handle) => {
      await attach(handle, call.callSid, 'MZterm');
      await handle.signal(transcriptSignal, { seq: 1, role: 'agent', text: 'Hello, before the operator stepped in.' });
      await handle.signal(usageSignal, { sttAudioMs: 2_000, promptTokens: 300, completionTokens: 40, ttsCharacters: 38 });
    });
    const before = await h.ledger.balance(h.accountId);
    let result: CallResult | null = null;
    const input = h.input(to);
    await withWorker({ activities: h.activities }, async (tq) => {
      const campaign = await standInCampaign(tq);
      Object.assign(input, { campaignId: campaign.campaignId, parentWorkflowId: campaign.handle.workflowId });
      const handle = await start(tq, input);
      await expect.poll(async () => (await handle.query(callStateQuery)).transcript.length, { timeout: 10_000 }).toBe(1);
      await expect.poll(async () => (await handle.query(callStateQuery)).usage.ttsCharacters, { timeout: 5_000 }).toBe(38);
      await new Promise((r) => setTimeout(r, 1_100));
      await handle.terminate('operator');
      // The campaign asks about its overdue call: the call's own reconciliation resolves it.
      result = await acts().callReconcile({ callId: input.callId });
      expect(await campaign.reports()).toEqual([expect.objectContaining({ callId: input.callId, status: 'completed' })]);
      await campaign.close();
    });
    expect(result).toMatchObject({ status: 'completed', endReason: 'abandoned' });
    expect(result!.durationSec).toBeGreaterThanOrEqual(1);
    expect(result!.chargedMicro).toBe(
      charge(result!.durationSec, 60, { sttAudioMs: 2_000, promptTokens: 300, completionTokens: 40, ttsCharacters: 38 }),
    );
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'post']);
    expect(await row(input.callId)).toMatchObject({ status: 'completed', terminal: true, end_reason: 'abandoned' });
    const turns = await h.ctx.sql<{ text: string }[]>`select text from transcript_turns where call_id = ${input.callId}`;
    expect(turns.map((t) => t.text)).toEqual(['Hello, before the operator stepped in.']);
    const [cost] = await h.ctx.sql<
      { tts_characters: number }[]
    >`select tts_characters from call_costs where call_id = ${input.callId}`;
    expect(cost!.tts_characters).toBe(38);
    const after = await h.ledger.balance(h.accountId);
    expect(after.heldMicro).toBe(before.heldMicro);
    expect(before.availableMicro - after.availableMicro).toBe(result!.chargedMicro);
  });

  it('a run gone before it dialed (or before it recorded the call): not_attempted, its hold released', async () => {
    const input = h.input(testNumber());
    const { quote } = await acts().callPrepare({ to: input.to, maxDurationSec: input.maxDurationSec });
    expect(await acts().callBegin({ input, toE164: input.to, quote })).toMatchObject({ outcome: 'held' });
    // No workflow by that id (terminated and deleted, or never started): the hold is the only trace.
    expect(await acts().callReconcile({ callId: input.callId })).toMatchObject({
      status: 'not_attempted',
      chargedMicro: 0,
      endReason: 'abandoned',
    });
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'void']);
    expect(await row(input.callId)).toMatchObject({ status: 'not_attempted', terminal: true });
    expect(await acts().callReconcile({ callId: randomUUID() })).toMatchObject({ status: 'not_attempted' });
  });

  it("the sweeper's Schedule is created at worker start-up, idempotently", async () => {
    const scheduleId = `hold-sweeper-test-${randomUUID()}`;
    const taskQueue = `sweeper-${randomUUID()}`;
    expect(await ensureHoldSweeperSchedule(h.ctx.client, { taskQueue, scheduleId })).toEqual({ scheduleId, created: true });
    expect(await ensureHoldSweeperSchedule(h.ctx.client, { taskQueue, scheduleId, every: '1 minute' })).toEqual({
      scheduleId,
      created: false,
    });
    const handle = h.ctx.client.schedule.getHandle(scheduleId);
    const d = await handle.describe();
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'holdSweeperWorkflow', taskQueue });
    expect(d.spec.intervals?.[0]?.every).toBe(60_000);
    await handle.delete();
  });

  it('an unexpected failure in the workflow (here: a broken dial look-up) still releases the hold before the run fails', async () => {
    const to = testNumber();
    const activities = {
      ...h.activities,
      callDial: async () => {
        throw ApplicationFailure.nonRetryable('socket hang up', 'TelephonyUnavailable');
      },
      callDialRecord: async () => {
        throw ApplicationFailure.nonRetryable('a bug in the look-up', 'TypeError');
      },
    };
    const input = h.input(to);
    await withWorker({ activities }, async (tq) => {
      const handle = await start(tq, input);
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
    });
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'void']);
    expect(await row(input.callId)).toMatchObject({ status: 'failed', terminal: true });
    expect((await row(input.callId)).error).toMatch(/a bug in the look-up/);
  });
});

describe('defect 2: vendor text Postgres cannot store', () => {
  it("a NUL and a lone surrogate in the model's outcome notes and the caller's transcript: the call settles normally", async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20 } };
    h.gateway.set(to, async (call, handle) => {
      await attach(handle, call.callSid, 'MZtext');
      await handle.signal(transcriptSignal, { seq: 1, role: 'caller', text: 'Ya\u0000 saya \ud800berminat' });
      await handle.signal(outcomeSignal, { result: 'interested', notes: 'call back\u0000 at \udc00five' });
      await handle.signal(mediaEndedSignal, { reason: 'end_call', at: new Date().toISOString(), streamSid: 'MZtext' });
    });
    const input = h.input(to);
    const result = await withWorker({ activities: h.activities }, async (tq) => (await start(tq, input)).result());
    expect(result.status).toBe('completed');
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'post']);
    const r = await row(input.callId);
    expect(r.error).toBeNull();
    expect(r.outcome!.notes).toBe('call back at \ufffdfive');
    const turns = await h.ctx.sql<{ text: string }[]>`select text from transcript_turns where call_id = ${input.callId}`;
    expect(turns.map((t) => t.text)).toEqual(['Ya saya \ufffdberminat']);
  });
});

describe('defect 3: the hold retried after a changed price list', () => {
  it('callBegin commits, its reply is lost, the retry runs on a worker with another PRICE_LIST_JSON: one hold, settled or released', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'busy' } };
    const pricier = callActivitiesFromConfig({
      sql: h.ctx.sql,
      config: { ...h.config, PRICE_LIST_JSON: '{"chargeMicroPerMinute": 300000}' },
      log: testLogger(),
    });
    const real = acts();
    const before = await h.ledger.balance(h.accountId);
    const activities = {
      ...h.activities,
      callBegin: async (args: Parameters<CallActivities['callBegin']>[0]) => {
        if (Context.current().info.attempt === 1) {
          await real.callBegin(args);
          throw new Error('connection reset: the reply was lost after the commit');
        }
        return pricier.callBegin(args);
      },
    };
    const input = h.input(to);
    const result = await withWorker({ activities }, async (tq) => (await start(tq, input)).result());
    expect(result.status).toBe('busy');
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'void']);
    expect(await h.ledger.balance(h.accountId)).toEqual(before);
  });
});

describe('defect 4: dial attempts exhausted is not the same as not dialed', () => {
  it('the dial claimed and Twilio created the call, but every attempt failed: the call waits for its callbacks, asks Twilio, and is settled as answered', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 200, hangupAfterMs: 1_500 } };
    h.sim.faults.dropCreateResponses = 1;
    const real = acts();
    const activities = {
      ...h.activities,
      // The create went out (and its reply was lost); then the dialer gave up for good.
      callDial: async (args: Parameters<DialerActivities['callDial']>[0]) => {
        await real.callDial(args).catch(() => undefined);
        throw ApplicationFailure.nonRetryable('dial attempts exhausted', 'TelephonyUnavailable');
      },
    };
    const input = h.input(to);
    const result = await withWorker({ activities }, async (tq) => (await start(tq, input)).result());
    expect(result.status).toBe('completed');
    expect(result.chargedMicro).toBe(charge(result.durationSec));
    expect(h.sim.creates(to)).toHaveLength(1);
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'post']);
  });

  it('a dial that never reached Twilio (the dialer never got to claim it) ends not_attempted: nothing charged, hold released, nothing dialed', async () => {
    const to = testNumber();
    const activities = {
      ...h.activities,
      callDial: async () => {
        throw ApplicationFailure.nonRetryable('could not reach Postgres to claim the dial', 'TelephonyUnavailable');
      },
    };
    const input = h.input(to);
    const { result, handle } = await withWorker({ activities }, async (tq) => {
      const handle = await start(tq, input);
      return { result: await handle.result(), handle };
    });
    await recordHistory('dial-never-reached-not_attempted', handle as WorkflowHandle);
    expect(result).toMatchObject({ status: 'not_attempted', chargedMicro: 0 });
    expect(h.sim.creates(to)).toHaveLength(0);
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'void']);
    expect(await row(input.callId)).toMatchObject({ status: 'not_attempted', terminal: true });
  });
});

describe('defect 9: the end reason of a call that did not end in a plain hang-up', () => {
  it('a media stream that failed is stored as media_error, not as a plain success', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20 } };
    h.gateway.set(to, async (call, handle) => {
      await attach(handle, call.callSid, 'MZerr');
      await handle.signal(mediaEndedSignal, {
        reason: 'error',
        detail: 'speech service unreachable',
        at: new Date().toISOString(),
        streamSid: 'MZerr',
      });
    });
    const input = h.input(to);
    const result = await withWorker({ activities: h.activities }, async (tq) => (await start(tq, input)).result());
    expect(result).toMatchObject({ status: 'completed', endReason: 'media_error' });
    expect(await row(input.callId)).toMatchObject({ status: 'completed', end_reason: 'media_error' });
    // An operator sees it through the API as well.
    const { key } = await issueKey(h.ctx.sql, { accountId: h.accountId, role: 'client' });
    const view = await (
      await fetch(`${h.apiUrl}/v1/calls/${input.callId}`, { headers: { authorization: `Bearer ${key}` } })
    ).json();
    expect(view).toMatchObject({ status: 'completed', endReason: 'media_error' });
  });
});

describe('do-not-call', () => {
  it('a number the suppression port lists ends suppressed: nothing held, dialed or charged', async () => {
    const to = testNumber();
    const blocked = callActivitiesFromConfig({
      sql: h.ctx.sql,
      config: h.config,
      log: testLogger(),
      suppression: { isSuppressed: async ({ e164 }) => e164 === to },
    });
    const input = h.input(to);
    const { result, handle } = await withWorker({ activities: { ...h.activities, callBegin: blocked.callBegin } }, async (tq) => {
      const handle = await start(tq, input);
      return { result: await handle.result(), handle };
    });
    await recordHistory('do-not-call-suppressed', handle as WorkflowHandle);
    expect(result).toMatchObject({ status: 'suppressed', chargedMicro: 0 });
    expect(h.sim.creates(to)).toHaveLength(0);
    expect(await h.ledgerOps(input.callId)).toEqual([]);
    expect(await row(input.callId)).toMatchObject({ status: 'suppressed', terminal: true });
  });
});
