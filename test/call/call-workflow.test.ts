import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  attachMediaUpdate,
  callStateQuery,
  MEDIA_REFUSED,
  mediaEndedSignal,
  outcomeSignal,
  transcriptSignal,
  usageSignal,
} from '../../workflows/call/contract';
import { withWorker } from '../helpers/env';
import { randomUUID } from 'node:crypto';
import { SA } from '../../lib/search-attributes';
import { callMemo, callSearchAttributes } from '../../workflows/call/visibility';
import { expectReplays } from '../helpers/replay';
import {
  attach,
  charge,
  recordHistory,
  recordedHistories,
  runCall,
  startCallHarness,
  testAgent,
  testNumber,
  writeRecordedHistories,
  type CallHarness,
} from './harness';

let h: CallHarness;
const CREDIT = 10_000_000;
const perSecond = charge;

beforeAll(async () => {
  h = await startCallHarness({ credit: CREDIT });
});
afterAll(async () => h?.close());

const run = <T>(fn: (taskQueue: string) => Promise<T>) => withWorker({ activities: h.activities }, fn);

async function callRow(callId: string) {
  const [row] = await h.ctx.sql<
    {
      status: string;
      terminal: boolean;
      provider_call_sid: string | null;
      duration_sec: number | null;
      hold_amount: number | null;
      dial_state: string | null;
    }[]
  >`
    select status, terminal, provider_call_sid, duration_sec, hold_amount, dial_state from calls where id = ${callId}`;
  return row!;
}
async function costRow(callId: string) {
  const [row] = await h.ctx.sql<
    { charged_amount: number; billed_seconds: number }[]
  >`select charged_amount, billed_seconds from call_costs where call_id = ${callId}`;
  return row;
}
const ledgerOps = (callId: string) => h.ledgerOps(callId);

describe('callWorkflow end to end (dev server, Twilio simulator, Postgres)', () => {
  it('answered call with a conversation: charged once for the billed seconds, the rest released, transcript and costs saved', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 50 } };
    h.gateway.set(to, async (call, handle) => {
      await attach(handle, call.callSid, 'MZ1');
      await handle.signal(transcriptSignal, { seq: 1, role: 'agent', text: 'Hello, this is Aina.' });
      await handle.signal(transcriptSignal, { seq: 2, role: 'caller', text: 'Hi.' });
      await handle.signal(transcriptSignal, { seq: 2, role: 'caller', text: 'Hi there.' }); // same seq replaces
      const state = await handle.query(callStateQuery);
      expect(state.status).toBe('in_progress');
      expect(state.transcript.map((t) => t.text)).toEqual(['Hello, this is Aina.', 'Hi there.']);
      await handle.signal(usageSignal, { sttAudioMs: 1500, promptTokens: 100, completionTokens: 20, ttsCharacters: 40 });
      await handle.signal(usageSignal, { sttAudioMs: 900, promptTokens: 50, completionTokens: 10, ttsCharacters: 10 }); // late: no effect
      await handle.signal(outcomeSignal, { result: 'interested' });
      await new Promise((r) => setTimeout(r, 1200));
      await handle.signal(mediaEndedSignal, { reason: 'end_call', at: new Date().toISOString(), streamSid: 'MZ1' });
    });
    const before = await h.ledger.balance(h.accountId);
    const input = h.input(to, { maxDurationSec: 30 });
    const { result } = await run((tq) => runCall(h, tq, input));
    expect(result.status).toBe('completed');
    expect(result.outcome).toEqual({ result: 'interested' });
    expect(result.durationSec).toBeGreaterThanOrEqual(1);
    expect(result.chargedMicro).toBe(perSecond(result.durationSec, 30));
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'post']);
    const after = await h.ledger.balance(h.accountId);
    expect(before.availableMicro - after.availableMicro).toBe(result.chargedMicro);
    expect(after.heldMicro).toBe(before.heldMicro);
    const row = await callRow(input.callId);
    expect(row).toMatchObject({
      status: 'completed',
      terminal: true,
      duration_sec: result.durationSec,
      hold_amount: perSecond(30, 30),
    });
    expect(row.provider_call_sid).toMatch(/^CA/);
    expect(await costRow(input.callId)).toMatchObject({ charged_amount: result.chargedMicro, billed_seconds: 60 }); // the billing rule's minimum
    const turns = await h.ctx.sql<
      { seq: number; text: string }[]
    >`select seq, text from transcript_turns where call_id = ${input.callId} order by seq`;
    expect(turns.map((t) => t.text)).toEqual(['Hello, this is Aina.', 'Hi there.']);
    const usage = await h.ctx.sql<
      { stt_audio_ms: number; prompt_tokens: number }[]
    >`select stt_audio_ms, prompt_tokens from call_costs where call_id = ${input.callId}`;
    expect(usage[0]).toEqual({ stt_audio_ms: 1500, prompt_tokens: 100 });
    expect(h.sim.creates(to)).toHaveLength(1);
  });

  it('busy, no-answer and failed charge nothing and void the hold', async () => {
    const [busy, noAnswer, failed] = [testNumber(), testNumber(), testNumber()];
    h.sim.scenario.numbers = { [busy]: { kind: 'busy' }, [noAnswer]: { kind: 'no-answer' }, [failed]: { kind: 'failed' } };
    const before = await h.ledger.balance(h.accountId);
    const inputs = [h.input(busy), h.input(noAnswer, { ringTimeoutSec: 1 }), h.input(failed)];
    const results = await run((tq) => Promise.all(inputs.map((i) => runCall(h, tq, i))));
    expect(results.map((r) => r.result.status)).toEqual(['busy', 'no_answer', 'failed']);
    expect(results.map((r) => r.result.chargedMicro)).toEqual([0, 0, 0]);
    for (const i of inputs) {
      expect(await ledgerOps(i.callId)).toEqual(['hold', 'void']);
      expect(await costRow(i.callId)).toBeUndefined();
      expect((await callRow(i.callId)).terminal).toBe(true);
    }
    expect(await h.ledger.balance(h.accountId)).toEqual(before);
  });

  it('invalid numbers end as invalid_number without a hold or a dial; so do numbers Twilio rejects', async () => {
    const rejected = testNumber();
    h.sim.scenario.numbers = {
      [rejected]: { kind: 'reject', status: 400, code: 21211, message: "The 'To' number is not a valid phone number." },
    };
    const bad = h.input('+1 555 000');
    const atTwilio = h.input(rejected);
    const [r1, r2] = await run((tq) => Promise.all([runCall(h, tq, bad), runCall(h, tq, atTwilio)]));
    expect(r1.result.status).toBe('invalid_number');
    expect(await ledgerOps(bad.callId)).toEqual([]);
    expect(h.sim.creates('+1 555 000')).toHaveLength(0);
    expect(r2.result.status).toBe('invalid_number');
    expect(await ledgerOps(atTwilio.callId)).toEqual(['hold', 'void']);
    expect(h.sim.creates(rejected)).toHaveLength(1); // non-retryable: not tried again
  });

  it('insufficient credits: nothing held, nothing dialed', async () => {
    const to = testNumber();
    const input = h.input(to, { maxDurationSec: 60 * 60 * 24 * 10 }); // ten days of credit is more than the account has
    const { result } = await run((tq) => runCall(h, tq, input));
    expect(result.status).toBe('insufficient_credits');
    expect(h.sim.creates(to)).toHaveLength(0);
    expect(await ledgerOps(input.callId)).toEqual([]);
    expect((await callRow(input.callId)).status).toBe('insufficient_credits');
  });

  it('a call that runs past its maximum is hung up and charged for the maximum only', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20 } }; // never hangs up by itself
    const input = h.input(to, { maxDurationSec: 2 });
    const { result } = await run((tq) => runCall(h, tq, input));
    expect(result.status).toBe('completed');
    expect(result.error).toBe('max_duration_reached');
    expect(result.durationSec).toBe(2);
    expect(result.chargedMicro).toBe(perSecond(2));
    const simCall = h.sim.call((await callRow(input.callId)).provider_call_sid!)!;
    expect(simCall.status).toBe('completed'); // we hung it up
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'post']);
  });

  it('answering machine with policy hangup: hung up on detection, status voicemail', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'voicemail', afterMs: 20, detectMs: 100, hangupAfterMs: 20_000 } };
    const input = h.input(to, { voicemailPolicy: 'hangup' });
    const { result, state } = await run(async (tq) => {
      const { result, handle } = await runCall(h, tq, input);
      return { result, state: await handle.query(callStateQuery) };
    });
    expect(result.status).toBe('voicemail');
    expect(result.durationSec).toBeLessThanOrEqual(2);
    expect(state.answeredBy).toBe('machine_start');
    expect(h.sim.creates(to)[0]!.params.MachineDetection).toBe('Enable');
  });

  it('cancel before answer voids the hold (canceled); cancel after answer hangs up and settles', async () => {
    const ringing = testNumber();
    const talking = testNumber();
    h.sim.scenario.numbers = { [ringing]: { kind: 'no-answer' }, [talking]: { kind: 'answer', afterMs: 20 } };
    const a = h.input(ringing, { ringTimeoutSec: 30 });
    const b = h.input(talking);
    await run(async (tq) => {
      const ha = await h.ctx.client.workflow.start('callWorkflow', {
        taskQueue: tq,
        workflowId: `call/${a.callId}`,
        args: [{ ...a, dialerTaskQueue: tq }],
      });
      const hb = await h.ctx.client.workflow.start('callWorkflow', {
        taskQueue: tq,
        workflowId: `call/${b.callId}`,
        args: [{ ...b, dialerTaskQueue: tq }],
      });
      await expect.poll(async () => (await ha.query(callStateQuery)).status, { timeout: 10_000 }).toBe('ringing');
      await expect.poll(async () => (await hb.query(callStateQuery)).status, { timeout: 10_000 }).toBe('in_progress');
      await ha.cancel();
      await new Promise((r) => setTimeout(r, 1100));
      await hb.cancel();
      const [ra, rb] = await Promise.all([ha.result(), hb.result()]);
      expect(ra).toMatchObject({ status: 'canceled', chargedMicro: 0 });
      expect(rb.status).toBe('canceled');
      expect(rb.chargedMicro).toBe(perSecond(rb.durationSec));
      expect(rb.durationSec).toBeGreaterThanOrEqual(1);
      await recordHistory('cancel-before-answer-canceled', ha);
      await recordHistory('cancel-after-answer-canceled', hb);
    });
    expect(await ledgerOps(a.callId)).toEqual(['hold', 'void']);
    expect(await ledgerOps(b.callId)).toEqual(['hold', 'post']);
    const simA = h.sim.call((await callRow(a.callId)).provider_call_sid!)!;
    expect(simA.status).toBe('canceled');
  });
});

describe('voicemail, transfer, reporting', () => {
  it('voicemail policy leave_message: waits for the beep (DetectMessageEnd), the gateway leaves the message, status voicemail, charged', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'voicemail', afterMs: 20, greetingMs: 200, hangupAfterMs: 20_000 } };
    h.gateway.set(to, async (call, handle) => {
      await attach(handle, call.callSid, 'MZvm');
      // The gateway polls the workflow's state for the AMD verdict before speaking.
      await expect.poll(async () => (await handle.query(callStateQuery)).answeredBy, { timeout: 5_000 }).toBe('machine_end_beep');
      await handle.signal(transcriptSignal, { seq: 1, role: 'agent', text: 'Sorry we missed you.' });
      await new Promise((r) => setTimeout(r, 1000));
      await handle.signal(mediaEndedSignal, { reason: 'voicemail_left', at: new Date().toISOString(), streamSid: 'MZvm' });
    });
    const input = h.input(to, { voicemailPolicy: 'leave_message' });
    const { result } = await run((tq) => runCall(h, tq, input, 'leave-message'));
    expect(h.sim.creates(to)[0]!.params.MachineDetection).toBe('DetectMessageEnd');
    expect(result.status).toBe('voicemail');
    expect(result.durationSec).toBeGreaterThanOrEqual(1);
    expect(result.chargedMicro).toBe(perSecond(result.durationSec));
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'post']);
  });

  it('mediaEnded with reason transfer does not hang up: the call lasts until the provider ends it', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20, hangupAfterMs: 1500 } };
    h.gateway.set(to, async (call, handle) => {
      await attach(handle, call.callSid, 'MZtx');
      await handle.signal(mediaEndedSignal, { reason: 'transfer', at: new Date().toISOString(), streamSid: 'MZtx' });
    });
    const { result } = await run((tq) => runCall(h, tq, h.input(to), 'transfer'));
    expect(result.status).toBe('completed');
    expect(result.durationSec).toBeGreaterThanOrEqual(1); // the callee's hang-up at 1.5 s ended it, not us
    expect(result.error).toBeUndefined();
  });

  it('reports to the parent by workflow id, keeps search attributes current and the memo to the last four digits', async () => {
    const parentTo = testNumber();
    const to = testNumber();
    h.sim.scenario.numbers = { [parentTo]: { kind: 'no-answer' }, [to]: { kind: 'busy' } };
    const parent = h.input(parentTo, { ringTimeoutSec: 60 });
    await run(async (tq) => {
      // Any open workflow can stand in for the campaign: an unhandled signal is recorded in its history.
      const ph = await h.ctx.client.workflow.start('callWorkflow', {
        taskQueue: tq,
        workflowId: `call/${parent.callId}`,
        args: [{ ...parent, dialerTaskQueue: tq }],
      });
      const campaignId = randomUUID();
      await h.ctx
        .sql`insert into campaigns (id, account_id, name, agent, settings) values (${campaignId}, ${h.accountId}, 'c', '{}', '{}')`;
      const child = h.input(to, { parentWorkflowId: ph.workflowId, campaignId, attempt: 2 });
      const { result, handle } = await runCall(h, tq, child, 'with-parent');
      expect(result.status).toBe('busy');
      const desc = await handle.describe();
      expect(desc.typedSearchAttributes.get(SA.CallStatus)).toBe('busy');
      expect(desc.typedSearchAttributes.get(SA.AccountId)).toBe(h.accountId);
      expect(desc.typedSearchAttributes.get(SA.CampaignId)).toBe(campaignId);
      expect(await desc.memo).toEqual({ toLast4: to.slice(-4), attempt: 2 });
      const history = await ph.fetchHistory();
      const signaled = history.events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'callFinished');
      expect(signaled).toHaveLength(1);
      const payload = signaled[0]!.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!;
      expect(JSON.parse(Buffer.from(payload.data!).toString())).toMatchObject({
        callId: child.callId,
        status: 'busy',
        attempt: 2,
        chargedMicro: 0,
      });
      await ph.cancel();
      expect((await ph.result()).status).toBe('canceled');
    });
  });

  it('a call for an unknown account fails cleanly: no row, no hold, no dial', async () => {
    const to = testNumber();
    const input = { ...h.input(to), accountId: randomUUID() };
    const { result } = await run((tq) => runCall(h, tq, input, 'row-rejected'));
    expect(result.status).toBe('failed');
    expect(result.error).toMatch(/call row rejected/);
    expect(h.sim.creates(to)).toHaveLength(0);
  });
});

describe('dial reliability', () => {
  it('5xx and 429 on create are retried with back-off; the call is dialed exactly once', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20, hangupAfterMs: 1000 } };
    h.sim.faults.createErrors.push({ status: 503 }, { status: 429 });
    const { result } = await run((tq) => runCall(h, tq, h.input(to)));
    expect(result.status).toBe('completed');
    expect(h.sim.creates(to).map((c) => c.outcome)).toEqual(['error', 'error', 'created']);
  });

  it('a create whose response is lost is found at the provider and adopted, not dialed again', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 200, hangupAfterMs: 1000 } };
    h.sim.faults.dropCreateResponses = 1;
    const input = h.input(to);
    const { result } = await run((tq) => runCall(h, tq, input));
    expect(result.status).toBe('completed');
    expect(h.sim.creates(to).map((c) => c.outcome)).toEqual(['response_dropped']);
    expect((await callRow(input.callId)).provider_call_sid).toBe(h.sim.creates(to)[0]!.callSid);
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'post']);
  });
});

describe('lost responses and callbacks', () => {
  it('a lost create response that the provider listing does not show yet: no second dial; the call status callbacks identify it', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 300, hangupAfterMs: 1000 } };
    h.sim.faults.dropCreateResponses = 1;
    h.sim.faults.hideCallsFromList = true;
    const input = h.input(to);
    try {
      const { result } = await run((tq) => runCall(h, tq, input, 'dial-unknown-then-callbacks'));
      expect(result.status).toBe('completed');
      expect(result.chargedMicro).toBe(perSecond(result.durationSec));
    } finally {
      h.sim.faults.hideCallsFromList = false;
    }
    expect(h.sim.creates(to)).toHaveLength(1);
    expect((await callRow(input.callId)).provider_call_sid).toBe(h.sim.creates(to)[0]!.callSid);
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'post']);
  });

  it('no dial response, nothing listed, no callbacks: the attempt fails with the hold voided and is never redialed', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'no-answer' } };
    h.sim.faults.dropCreateResponses = 1;
    h.sim.faults.hideCallsFromList = true;
    h.sim.faults.dropStatuses = ['initiated', 'ringing', 'no-answer'];
    const input = h.input(to, { ringTimeoutSec: 1, timeouts: { ringGraceSec: 1, endGraceSec: 1 } });
    try {
      const { result } = await run((tq) => runCall(h, tq, input, 'dial-unknown'));
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(/dial_outcome_unknown/);
    } finally {
      h.sim.faults.hideCallsFromList = false;
      h.sim.faults.dropStatuses = [];
    }
    expect(h.sim.creates(to)).toHaveLength(1);
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'void']);
    expect((await callRow(input.callId)).dial_state).toBe('unknown');
  });

  it('a lost final callback: the call is settled on our own measure after the grace period', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20 } };
    h.sim.faults.dropStatuses = ['completed'];
    const input = h.input(to, { maxDurationSec: 2, timeouts: { ringGraceSec: 3, endGraceSec: 1 } });
    try {
      const { result } = await run((tq) => runCall(h, tq, input, 'lost-final-callback'));
      expect(result.status).toBe('completed');
      expect(result.durationSec).toBe(2);
      expect(result.chargedMicro).toBe(perSecond(2));
    } finally {
      h.sim.faults.dropStatuses = [];
    }
  });
});

describe('one media stream per call (attachMedia)', () => {
  /** The attach's rejection type, or 'accepted'. */
  const attachOutcome = (p: Promise<unknown>) =>
    p.then(
      () => 'accepted',
      (err) =>
        err instanceof WorkflowUpdateFailedError
          ? (err.cause as { type?: string } | undefined)?.type
          : `unexpected ${String(err)}`,
    );

  it('the first stream holds the call; its retries get the same answer; another stream, a replayed start and its mediaEnded are refused', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20 } };
    const input = h.input(to);
    h.gateway.set(to, async (call, handle) => {
      const at = new Date().toISOString();
      const mine = { streamSid: 'MZheld', callSid: call.callSid, attachId: 'attach-1', at };
      const view = await handle.executeUpdate(attachMediaUpdate, { args: [mine], updateId: 'media/attach-1' });
      expect(view).toMatchObject({ callId: input.callId, accountId: h.accountId, agent: testAgent, voicemailPolicy: 'hangup' });
      // A retry after a lost response (same update id): the server answers from its record.
      expect(await handle.executeUpdate(attachMediaUpdate, { args: [mine], updateId: 'media/attach-1' })).toEqual(view);
      // The same request under another update id reaches the workflow: its validator says yes again.
      expect((await handle.executeUpdate(attachMediaUpdate, { args: [mine], updateId: 'media/attach-1-again' })).agent).toEqual(
        testAgent,
      );
      // A second stream (a replayed token, here or on another gateway), and a replayed `start`
      // (same streamSid, another socket's attachId): refused.
      expect(
        await attachOutcome(
          handle.executeUpdate(attachMediaUpdate, { args: [{ ...mine, streamSid: 'MZother', attachId: 'attach-2' }] }),
        ),
      ).toBe(MEDIA_REFUSED.alreadyStreaming);
      expect(await attachOutcome(handle.executeUpdate(attachMediaUpdate, { args: [{ ...mine, attachId: 'attach-3' }] }))).toBe(
        MEDIA_REFUSED.alreadyStreaming,
      );
      // A refused stream's mediaEnded cannot end the call: voicemail_left would have made it a voicemail.
      await handle.signal(mediaEndedSignal, { reason: 'voicemail_left', at, streamSid: 'MZother' });
      await handle.signal(transcriptSignal, { seq: 1, role: 'agent', text: 'Hello.' });
      await handle.signal(mediaEndedSignal, { reason: 'end_call', at: new Date().toISOString(), streamSid: 'MZheld' });
    });
    const { result, handle } = await run((tq) => runCall(h, tq, input, 'attach-media'));
    expect(result.status).toBe('completed');
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'post']);
    // Two accepted attaches (the deduplicated retry left nothing), each with its completion; refusals leave no event.
    const accepted = (await handle.fetchHistory()).events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
    expect(accepted.map((e) => e.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.meta!.updateId)).toEqual([
      'media/attach-1',
      'media/attach-1-again',
    ]);
    // Over: the workflow is gone, so a late stream is told so (the gateway closes it "unknown call").
    await expect(
      handle.executeUpdate(attachMediaUpdate, {
        args: [{ streamSid: 'MZlate', callSid: 'CA', attachId: 'attach-4', at: new Date().toISOString() }],
      }),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});

describe('Temporal actions', () => {
  it('a run started with its memo and attributes (as a campaign starts it) upserts CallStatus only at the answer and the end', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20, hangupAfterMs: 500 } };
    const input = h.input(to, { attempt: 3 });
    await run(async (tq) => {
      const handle = await h.ctx.client.workflow.start('callWorkflow', {
        taskQueue: tq,
        workflowId: `call/${input.callId}`,
        args: [{ ...input, dialerTaskQueue: tq }],
        memo: { ...callMemo(input) },
        typedSearchAttributes: callSearchAttributes(input, 'validating'),
      });
      expect((await handle.result()).status).toBe('completed');
      const events = (await handle.fetchHistory()).events!;
      // No memo write, no patch marker (v1 has no patched()).
      expect(events.filter((e) => e.workflowPropertiesModifiedEventAttributes)).toHaveLength(0);
      expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(0);
      const upserts = events
        .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields)
        .filter((f) => f)
        .map((f) => JSON.parse(Buffer.from(f!.CallStatus!.data!).toString()));
      expect(upserts).toEqual(['in_progress', 'completed']);
      // answered + completed status callbacks only (plus the async AMD result); credit hold inside callBegin: begin, dial, finish
      const statuses = events
        .filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'telephonyStatus')
        .map(
          (e) =>
            JSON.parse(Buffer.from(e.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!.data!).toString()) as {
              status: string;
              sequenceNumber?: number;
            },
        )
        .filter((ev) => ev.sequenceNumber !== undefined) // the AMD result carries none
        .map((ev) => ev.status);
      expect(statuses).toEqual(['in-progress', 'completed']);
      expect(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes)
          .map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name),
      ).toEqual(['callBegin', 'callDial', 'callFinish']);
      const desc = await handle.describe();
      expect(await desc.memo).toEqual({ toLast4: to.slice(-4), attempt: 3 });
      expect(desc.typedSearchAttributes.get(SA.AccountId)).toBe(h.accountId);
    });
    expect(h.sim.creates(to)[0]!.params.StatusCallbackEvent).toEqual(['answered', 'completed']);
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'post']);
  });
});

describe('status callbacks', () => {
  it('duplicated and out-of-order callbacks do not change the outcome', async () => {
    const dup = testNumber();
    const rev = testNumber();
    h.sim.scenario.numbers = { [dup]: { kind: 'answer', afterMs: 20, hangupAfterMs: 1000 }, [rev]: { kind: 'busy' } };
    h.sim.faults.duplicateCallbacks = true;
    const r1 = await run((tq) => runCall(h, tq, h.input(dup)));
    h.sim.faults.duplicateCallbacks = false;
    h.sim.faults.reverseCallbacks = true;
    const r2 = await run((tq) => runCall(h, tq, h.input(rev)));
    h.sim.faults.reverseCallbacks = false;
    expect(r1.result.status).toBe('completed');
    expect(r1.result.chargedMicro).toBe(perSecond(r1.result.durationSec));
    expect(r2.result.status).toBe('busy');
  });

  it('forged callbacks are rejected with 403; replayed ones change nothing', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'no-answer' } };
    const input = h.input(to, { ringTimeoutSec: 3 });
    await run(async (tq) => {
      const handle = await h.ctx.client.workflow.start('callWorkflow', {
        taskQueue: tq,
        workflowId: `call/${input.callId}`,
        args: [{ ...input, dialerTaskQueue: tq }],
      });
      await expect.poll(async () => (await handle.query(callStateQuery)).status, { timeout: 10_000 }).toBe('ringing');
      const callSid = (await handle.query(callStateQuery)).callSid!;
      const url = `${h.apiUrl}/webhooks/twilio/status?callId=${input.callId}`;
      const forged = new URLSearchParams({ CallSid: callSid, CallStatus: 'completed', CallDuration: '600', SequenceNumber: '9' });
      const bad = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'AAAA' },
        body: forged,
      });
      expect(bad.status).toBe(403);
      const unsigned = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: forged,
      });
      expect(unsigned.status).toBe(403);
      // A validly signed 'initiated' callback after the call rang (only answered/completed are
      // requested, so Twilio would only send one on a replay): a regression, ignored.
      const initiated = {
        url: h.sim.creates(to)[0]!.params.StatusCallback as string,
        params: { CallSid: callSid, CallStatus: 'initiated', SequenceNumber: '0' },
      };
      const { default: twilio } = await import('twilio');
      const sig = twilio.getExpectedTwilioSignature(h.sim.authToken, initiated.url, initiated.params);
      const replay = await fetch(initiated.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
        body: new URLSearchParams(initiated.params),
      });
      expect(replay.status).toBe(200);
      expect((await handle.query(callStateQuery)).status).toBe('ringing');
      const result = await handle.result();
      expect(result.status).toBe('no_answer');
      // After the workflow finished: still 200 (Twilio must not retry), nothing to change.
      const late = await fetch(initiated.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig },
        body: new URLSearchParams(initiated.params),
      });
      expect(late.status).toBe(200);
      await recordHistory('forged-and-replayed-callbacks', handle);
    });
    expect(await ledgerOps(input.callId)).toEqual(['hold', 'void']);
  });

  it('rejects a callback whose callId is not a UUID (400) even when signed', async () => {
    const { default: twilio } = await import('twilio');
    const url = `${h.apiUrl}/webhooks/twilio/status?callId=nope`;
    const params = { CallSid: 'CA1', CallStatus: 'ringing' };
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilio.getExpectedTwilioSignature(h.sim.authToken, url, params),
      },
      body: new URLSearchParams(params),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'bad_request' });
  });
});

describe('replay', () => {
  it('every history recorded above replays deterministically against the current workflow code', async () => {
    expect(recordedHistories.length).toBeGreaterThanOrEqual(15);
    await expectReplays(recordedHistories);
    writeRecordedHistories();
  });
});
