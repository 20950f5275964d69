import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { createApp } from '../../api/app';
import { callActivitiesFromConfig, dialerActivitiesFromConfig } from '../../activities/call';
import type { CallLedger, CallPricing } from '../../activities/call/ports';
import { callWorkflowId } from '../../lib/ids';
import type { Config } from '../../lib/config';
import { startTwilioSim, type AnsweredCall, type TwilioSim } from '../../sim/twilio/server';
import type { CallInput, CallResult } from '../../workflows/call/contract';
import { testContext, testLogger, type TestContext } from '../helpers/env';

/**
 * Everything a call test needs, wired for real: the Twilio simulator, the API (webhooks) on a
 * loopback port, the call and dialer activities against the run's Postgres, and a ledger.
 */
export interface CallHarness {
  ctx: TestContext;
  sim: TwilioSim;
  config: Config;
  apiUrl: string;
  accountId: string;
  activities: Record<string, unknown>;
  ledger: CallLedger & { balance(accountId: string): { availableMicro: number; heldMicro: number }; ops: { kind: string; key: string }[] };
  /** What the "gateway" does once the sim connects the stream for a number (tests drive the signals). */
  gateway: Map<string, (call: AnsweredCall, handle: WorkflowHandle) => Promise<void>>;
  input(to: string, over?: Partial<CallInput>): CallInput;
  close(): Promise<void>;
}

export const CHARGE_MICRO_PER_MINUTE = 200_000;

/** Interim pricing until lib/pricing lands: $0.20/min, per second, rounded up once. */
export const testPricing: CallPricing = {
  holdAmountFor: (sec) => Math.ceil((sec * CHARGE_MICRO_PER_MINUTE) / 60),
  cost: (u) => {
    const chargedAmount = Math.ceil((u.billedSeconds * CHARGE_MICRO_PER_MINUTE) / 60);
    const twilioCost = Math.ceil((u.telephonySeconds * 13_000) / 60);
    return { priceListVersion: 'test', priceList: {}, azureSttCost: 0, llmCost: 0, ttsCost: 0, twilioCost, totalProviderCost: twilioCost, chargedAmount };
  },
};

/** Interim in-memory ledger with the real one's contract (idempotent by key; holds never overdraw). */
export function memoryLedger(): CallHarness['ledger'] {
  const accounts = new Map<string, { availableMicro: number; heldMicro: number }>();
  const holds = new Map<string, { accountId: string; amount: number; state: 'held' | 'posted' | 'voided'; charged: number }>();
  const done = new Map<string, unknown>();
  const ops: { kind: string; key: string }[] = [];
  const acct = (id: string) => accounts.get(id) ?? accounts.set(id, { availableMicro: 0, heldMicro: 0 }).get(id)!;
  return {
    ops,
    balance: (id) => ({ ...acct(id) }),
    credit(id: string, amount: number) {
      acct(id).availableMicro += amount;
    },
    async hold({ accountId, amountMicro, key }) {
      if (done.has(key)) return done.get(key) as { holdKey: string; amountMicro: number };
      const a = acct(accountId);
      if (a.availableMicro < amountMicro) throw ApplicationFailure.nonRetryable('insufficient credits', 'InsufficientCredits');
      a.availableMicro -= amountMicro;
      a.heldMicro += amountMicro;
      holds.set(key, { accountId, amount: amountMicro, state: 'held', charged: 0 });
      ops.push({ kind: 'hold', key });
      const r = { holdKey: key, amountMicro };
      done.set(key, r);
      return r;
    },
    async post({ holdKey, amountMicro, key }) {
      if (done.has(key)) return done.get(key) as { chargedMicro: number; releasedMicro: number };
      const h = holds.get(holdKey)!;
      if (h.state !== 'held') throw new Error(`hold ${holdKey} is ${h.state}`);
      const a = acct(h.accountId);
      const charged = Math.min(amountMicro, h.amount);
      a.heldMicro -= h.amount;
      a.availableMicro += h.amount - charged;
      h.state = 'posted';
      h.charged = charged;
      ops.push({ kind: 'post', key });
      const r = { chargedMicro: charged, releasedMicro: h.amount - charged };
      done.set(key, r);
      return r;
    },
    async void({ holdKey, key }) {
      if (done.has(key)) return done.get(key) as { releasedMicro: number };
      const h = holds.get(holdKey)!;
      if (h.state !== 'held') throw new Error(`hold ${holdKey} is ${h.state}`);
      const a = acct(h.accountId);
      a.heldMicro -= h.amount;
      a.availableMicro += h.amount;
      h.state = 'voided';
      ops.push({ kind: 'void', key });
      const r = { releasedMicro: h.amount };
      done.set(key, r);
      return r;
    },
  } as CallHarness['ledger'];
}

export async function startCallHarness(opts: { ledger?: CallHarness['ledger']; pricing?: CallPricing } = {}): Promise<CallHarness> {
  const ctx = await testContext();
  const log = testLogger();
  const gateway: CallHarness['gateway'] = new Map();
  const sim = await startTwilioSim({
    onAnswered: async (call) => {
      const script = gateway.get(call.to);
      if (!script) return new Promise<void>((r) => call.signal.addEventListener('abort', () => r(), { once: true }));
      const handle = ctx.client.workflow.getHandle(callWorkflowId(call.parameters.callId!));
      await script(call, handle);
      // The gateway's side is done; the call lasts until someone hangs up.
      if (!call.signal.aborted) await new Promise<void>((r) => call.signal.addEventListener('abort', () => r(), { once: true }));
      return { hangup: false };
    },
  });
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config: Config = {
    ...ctx.config,
    APP_ORIGIN: apiUrl,
    MEDIA_PUBLIC_URL: 'ws://127.0.0.1:9',
    MEDIA_TOKEN_SECRET: 'test-media-secret',
    TWILIO_API_BASE: sim.url,
  };
  server.on('request', createApp({ sql: ctx.sql, temporal: ctx.client, config, log }));
  const ledger = opts.ledger ?? memoryLedger();
  const pricing = opts.pricing ?? testPricing;
  const activities = {
    ...callActivitiesFromConfig({ sql: ctx.sql, config, log, ledger, pricing }),
    ...dialerActivitiesFromConfig({ sql: ctx.sql, config, log }),
  };
  const [account] = await ctx.sql<{ id: string }[]>`insert into accounts (name) values ('call test') returning id`;
  const accountId = account!.id;
  return {
    ctx,
    sim,
    config,
    apiUrl,
    accountId,
    activities,
    ledger,
    gateway,
    input: (to, over = {}) => ({
      callId: randomUUID(),
      accountId,
      attempt: 1,
      to,
      maxDurationSec: 60,
      ringTimeoutSec: 2,
      voicemailPolicy: 'hangup',
      agent: { systemPrompt: 's', firstMessage: 'hi', language: 'en-US', voiceId: 'v', llmModel: 'm' },
      timeouts: { ringGraceSec: 3, endGraceSec: 3 },
      ...over,
    }),
    async close() {
      await sim.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let seq = 0;
/** A valid, unique US number per call in this process (libphonenumber accepts 415-555-01xx … ). */
export function testNumber(): string {
  seq += 1;
  const n = (process.pid * 97 + seq) % 10_000;
  return `+1415555${String(n).padStart(4, '0')}`;
}

export async function runCall(h: CallHarness, taskQueue: string, input: CallInput): Promise<{ result: CallResult; handle: WorkflowHandle }> {
  const handle = await h.ctx.client.workflow.start('callWorkflow', {
    taskQueue,
    workflowId: callWorkflowId(input.callId),
    args: [{ ...input, dialerTaskQueue: taskQueue }],
  });
  const result = (await handle.result()) as CallResult;
  return { result, handle };
}
