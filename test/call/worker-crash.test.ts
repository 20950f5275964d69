import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { callWorkflowId } from '../../lib/ids';
import { callStateQuery, transcriptSignal, type CallResult } from '../../workflows/call/contract';
import { withWorker } from '../helpers/env';
import { attach, charge, recordHistory, startCallHarness, testNumber, type CallHarness } from './harness';

let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness();
});
afterAll(async () => h?.close());

function startChildWorker(taskQueue: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./worker-child.ts', import.meta.url))], {
    env: {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      TASK_QUEUE: taskQueue,
      APP_ORIGIN: h.config.APP_ORIGIN!,
      MEDIA_PUBLIC_URL: h.config.MEDIA_PUBLIC_URL!,
      MEDIA_TOKEN_SECRET: h.config.MEDIA_TOKEN_SECRET!,
      TWILIO_API_BASE: h.sim.url,
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve(child));
    child.once('exit', (code) => reject(new Error(`worker child exited early (${code})`)));
  });
}

describe('worker crash mid-call', () => {
  it('a worker SIGKILLed during an answered call is replaced; the call finishes with one dial and one charge', async () => {
    const to = testNumber();
    // The callee talks for 4 s, most of it while no worker is alive.
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 50, hangupAfterMs: 4_000 } };
    h.gateway.set(to, async (call, handle) => {
      await attach(handle, call.callSid, 'MZcrash');
      await handle.signal(transcriptSignal, { seq: 1, role: 'agent', text: 'Hello before the crash.' });
    });
    const taskQueue = `test-crash-${randomUUID()}`;
    const input = { ...h.input(to, { maxDurationSec: 30 }), dialerTaskQueue: taskQueue };
    const child = await startChildWorker(taskQueue);
    let result: CallResult;
    try {
      const handle = await h.ctx.client.workflow.start('callWorkflow', {
        taskQueue,
        workflowId: callWorkflowId(input.callId),
        args: [input],
      });
      await expect
        .poll(async () => (await handle.query(callStateQuery)).status, { timeout: 15_000, interval: 100 })
        .toBe('in_progress');
      await expect.poll(async () => (await handle.query(callStateQuery)).transcript.length, { timeout: 5_000 }).toBe(1);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // While no worker runs, the callee hangs up: the webhook still signals the workflow.
      const callSid = (
        await h.ctx.sql<{ provider_call_sid: string }[]>`select provider_call_sid from calls where id = ${input.callId}`
      )[0]!.provider_call_sid;
      await h.sim.waitForEnd(callSid, 15_000);
      result = await withWorker({ activities: h.activities, taskQueue }, async () => (await handle.result()) as CallResult);
      await recordHistory('worker-crash', handle);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(result.status).toBe('completed');
    expect(result.durationSec).toBeGreaterThanOrEqual(4);
    expect(result.chargedMicro).toBe(charge(result.durationSec, 30));
    expect(h.sim.creates(to)).toHaveLength(1);
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'post']);
    const [cost] = await h.ctx.sql<
      { charged_amount: number }[]
    >`select charged_amount from call_costs where call_id = ${input.callId}`;
    expect(cost!.charged_amount).toBe(result.chargedMicro);
    const turns = await h.ctx.sql`select text from transcript_turns where call_id = ${input.callId}`;
    expect(turns.map((t) => t.text)).toEqual(['Hello before the crash.']);
  });

  it('a dialer killed between the REST create and recording the SID: the retry finds the call at the provider, no second dial', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 200, hangupAfterMs: 1_000 } };
    const taskQueue = `test-crash-${randomUUID()}`;
    const input = { ...h.input(to, { maxDurationSec: 30 }), dialerTaskQueue: taskQueue };
    const child = await startChildWorker(taskQueue);
    let result: CallResult;
    h.sim.faults.delayCreateResponseMs = 5_000;
    try {
      const handle = await h.ctx.client.workflow.start('callWorkflow', {
        taskQueue,
        workflowId: callWorkflowId(input.callId),
        args: [input],
      });
      // The call exists at the provider; the dialer has not heard back yet.
      await expect.poll(() => h.sim.creates(to).length, { timeout: 15_000, interval: 50 }).toBe(1);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      h.sim.faults.delayCreateResponseMs = 0;
      const [row] = await h.ctx.sql<
        { dial_state: string; provider_call_sid: string | null }[]
      >`select dial_state, provider_call_sid from calls where id = ${input.callId}`;
      expect(row).toEqual({ dial_state: 'started', provider_call_sid: null });
      // The dial activity is retried after its start-to-close timeout (30 s) on the new worker.
      result = await withWorker({ activities: h.activities, taskQueue }, async () => (await handle.result()) as CallResult);
      await recordHistory('dialer-crash', handle);
    } finally {
      h.sim.faults.delayCreateResponseMs = 0;
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    expect(result.status).toBe('completed');
    expect(result.chargedMicro).toBe(charge(result.durationSec, 30));
    expect(h.sim.creates(to)).toHaveLength(1);
    const [row] = await h.ctx.sql<
      { dial_state: string; provider_call_sid: string }[]
    >`select dial_state, provider_call_sid from calls where id = ${input.callId}`;
    expect(row).toEqual({ dial_state: 'dialed', provider_call_sid: h.sim.creates(to)[0]!.callSid });
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'post']);
  }, 90_000);
});
