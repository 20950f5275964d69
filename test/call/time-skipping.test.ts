import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { temporalTestServerPath } from '../../lib/temporal-bin';
import { SA } from '../../lib/search-attributes';
import type { CallActivities, DialerActivities, FinishUnansweredArgs, SettleArgs } from '../../activities/call/types';
import { mediaStartedSignal, telephonyStatusSignal, type CallInput, type CallResult } from '../../workflows/call/contract';

/**
 * The workflow's timers at their real, default values (max duration of ten minutes, 60 s ring
 * grace, 20 s end grace) on the time-skipping test server, with recording stand-ins for the
 * activities: the minutes pass in milliseconds.
 */
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // installed already
  }
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: { AccountId: 2, CampaignId: 2, CallStatus: 2 }, // INDEXED_VALUE_TYPE_KEYWORD
  });
}, 120_000);
afterAll(async () => env?.teardown());

function fakes(dialSid: string) {
  const calls: { name: string; args: unknown }[] = [];
  const rec = (name: string, args: unknown) => void calls.push({ name, args });
  const acts: CallActivities & DialerActivities = {
    callValidateNumber: async ({ to }) => ({ ok: true, e164: to }),
    callHold: async (a) => (rec('hold', a), { holdKey: `call/${a.callId}:hold`, amountMicro: 2_000_000 }),
    // The hold rides with callBegin when asked (one activity): recorded as its own step here.
    callBegin: async (a) => {
      rec('begin', a);
      return a.holdForSec !== undefined && a.toE164 ? acts.callHold({ callId: a.input.callId, accountId: a.input.accountId, maxDurationSec: a.holdForSec }) : null;
    },
    callDial: async (a) => (rec('dial', a), { outcome: 'dialed', callSid: dialSid, adopted: false }),
    callHangup: async (a) => rec('hangup', a),
    // The provider knows nothing more than the callbacks said (these tests are about our timers).
    callProviderStatus: async () => null,
    callFinishUnanswered: async (a) => (rec('finishUnanswered', a), { releasedMicro: 2_000_000 }),
    callSettle: async (a) => (rec('settle', a), { chargedMicro: 1, releasedMicro: 0, providerCostMicro: 0 }),
  };
  return { acts, calls };
}

const input = (over: Partial<CallInput> = {}): CallInput => ({
  callId: randomUUID(),
  accountId: randomUUID(),
  attempt: 1,
  to: '+14155550100',
  maxDurationSec: 600,
  ringTimeoutSec: 30,
  voicemailPolicy: 'hangup',
  agent: { systemPrompt: 's', firstMessage: 'hi', language: 'en-US', voiceId: 'v', llmModel: 'm' },
  ...over,
});

async function run(dialSid: string, i: CallInput, during: (h: Awaited<ReturnType<typeof env.client.workflow.start>>) => Promise<void>) {
  const { acts, calls } = fakes(dialSid);
  const taskQueue = `ts-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') }, activities: acts });
  const result = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('callWorkflow', {
      taskQueue,
      workflowId: `call/${i.callId}`,
      args: [{ ...i, dialerTaskQueue: taskQueue }],
      typedSearchAttributes: [{ key: SA.AccountId, value: i.accountId }],
    });
    await during(handle);
    return (await handle.result()) as CallResult;
  });
  return { result, calls };
}

describe('callWorkflow timers at their defaults (time-skipping server)', () => {
  it('hangs up at the ten-minute maximum and bills exactly the maximum when no final status comes', async () => {
    const { result, calls } = await run('CAmax', input(), async (h) => {
      await env.sleep(1_000);
      await h.signal(telephonyStatusSignal, { callSid: 'CAmax', status: 'in-progress', sequenceNumber: 2, at: new Date().toISOString() });
    });
    expect(result.status).toBe('completed');
    expect(result.error).toBe('max_duration_reached');
    expect(calls.map((c) => c.name)).toEqual(['begin', 'hold', 'dial', 'hangup', 'settle']);
    const settle = calls.find((c) => c.name === 'settle')!.args as SettleArgs;
    expect(settle.billedSeconds).toBe(600);
  });

  it('no callback at all after the dial: hangs up after ring timeout + grace, then ends no_answer with the hold voided', async () => {
    const { result, calls } = await run('CAsilent', input(), async () => {});
    expect(result.status).toBe('no_answer');
    expect(calls.map((c) => c.name)).toEqual(['begin', 'hold', 'dial', 'hangup', 'finishUnanswered']);
    expect((calls.at(-1)!.args as FinishUnansweredArgs).holdKey).toMatch(/:hold$/);
  });

  it('a final status without the gateway ending its stream: settles after the end grace with what the gateway reported', async () => {
    const { result, calls } = await run('CAgw', input(), async (h) => {
      await env.sleep(1_000);
      await h.signal(mediaStartedSignal, { streamSid: 'MZ', callSid: 'CAgw', at: new Date().toISOString() });
      await h.signal(telephonyStatusSignal, { callSid: 'CAgw', status: 'completed', durationSec: 42, sequenceNumber: 3, at: new Date().toISOString() });
    });
    expect(result.status).toBe('completed');
    expect(result.durationSec).toBe(42);
    expect(calls.map((c) => c.name)).toEqual(['begin', 'hold', 'dial', 'settle']);
  });
});
