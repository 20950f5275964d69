import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { temporalTestServerPath } from '../../lib/temporal-bin';
import { SA } from '../../lib/search-attributes';
import type { CallActivities, DialerActivities, FinishArgs } from '../../activities/call/types';
import { defaultPriceList, holdFor } from '../../lib/pricing';
import { attachMediaUpdate, telephonyStatusSignal, type CallInput, type CallResult } from '../../workflows/call/contract';

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
  const agent = { systemPrompt: 's', firstMessage: 'hi', language: 'en-US', voiceId: 'v', llmModel: 'm' };
  const acts: CallActivities & DialerActivities = {
    callPrepare: async ({ to, maxDurationSec }) => ({
      number: { ok: true, e164: to },
      quote: { priceList: defaultPriceList, holdMicro: holdFor(maxDurationSec, defaultPriceList) },
    }),
    callBegin: async (a) => (
      rec('begin', a),
      { outcome: 'held', holdKey: `call/${a.input.callId}:hold`, amountMicro: a.quote.holdMicro, agent }
    ),
    callDial: async (a) => (rec('dial', a), { outcome: 'dialed', callSid: dialSid, adopted: false }),
    callDialRecord: async () => ({ reached: 'no' }),
    callHangup: async (a) => rec('hangup', a),
    // The provider knows nothing more than the callbacks said (these tests are about our timers).
    callProviderStatus: async () => null,
    callFinish: async (a) => {
      rec('finish', a);
      const s = a.ending.answered ? Math.min(a.ending.answered.telephonySeconds, a.maxDurationSec) : 0;
      return { chargedMicro: s ? 1 : 0, providerCostMicro: 0, durationSec: s, billedSeconds: s, releasedMicro: 0 };
    },
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
  agentId: 'ag_00000000000000000000000000000000',
  ...over,
});

async function run(
  dialSid: string,
  i: CallInput,
  during: (h: Awaited<ReturnType<typeof env.client.workflow.start>>) => Promise<void>,
) {
  const { acts, calls } = fakes(dialSid);
  const taskQueue = `ts-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: acts,
  });
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
      await h.signal(telephonyStatusSignal, {
        callSid: 'CAmax',
        status: 'in-progress',
        sequenceNumber: 2,
        at: new Date().toISOString(),
      });
    });
    expect(result.status).toBe('completed');
    expect(result.error).toBe('max_duration_reached');
    expect(calls.map((c) => c.name)).toEqual(['begin', 'dial', 'hangup', 'finish']);
    const finish = calls.find((c) => c.name === 'finish')!.args as FinishArgs;
    expect(finish.ending.answered!.telephonySeconds).toBe(600);
    expect(finish.ending.endReason).toBe('max_duration');
    expect(result.durationSec).toBe(600);
  });

  it('no callback at all after the dial: hangs up after ring timeout + grace, then ends no_answer with the hold voided', async () => {
    const { result, calls } = await run('CAsilent', input(), async () => {});
    expect(result.status).toBe('no_answer');
    expect(calls.map((c) => c.name)).toEqual(['begin', 'dial', 'hangup', 'finish']);
    expect((calls.at(-1)!.args as FinishArgs).ending.answered).toBeUndefined();
  });

  it('a final status without the gateway ending its stream: settles after the end grace with what the gateway reported', async () => {
    const { result, calls } = await run('CAgw', input(), async (h) => {
      await env.sleep(1_000);
      await h.executeUpdate(attachMediaUpdate, {
        args: [{ streamSid: 'MZ', callSid: 'CAgw', attachId: 'a1', at: new Date().toISOString() }],
      });
      await h.signal(telephonyStatusSignal, {
        callSid: 'CAgw',
        status: 'completed',
        durationSec: 42,
        sequenceNumber: 3,
        at: new Date().toISOString(),
      });
    });
    expect(result.status).toBe('completed');
    expect(result.durationSec).toBe(42);
    expect(calls.map((c) => c.name)).toEqual(['begin', 'dial', 'finish']);
  });
});
