import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils';
import { createApp } from '../../api/app';
import { callActivitiesFromConfig, dialerActivitiesFromConfig, type CallWiringDeps } from '../../activities/call';
import { createLedger } from '../../lib/ledger';
import { holdFor, loadPriceList, priceCall, type CallUsageToPrice } from '../../lib/pricing';
import { saveAgent } from '../../lib/agents/store';
import { callWorkflowId } from '../../lib/ids';
import type { Config } from '../../lib/config';
import { startTwilioSim, type AnsweredCall, type TwilioSim } from '../../sim/twilio/server';
import { attachMediaUpdate, type CallInput, type CallResult } from '../../workflows/call/contract';
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
  /** testAgent, saved for the account. */
  agentId: string;
  activities: Record<string, unknown>;
  ledger: TestLedger;
  /** Ledger operations of one call, in order: e.g. ['hold', 'post']. */
  ledgerOps(callId: string): Promise<string[]>;
  /** What the "gateway" does once the sim connects the stream for a number (tests drive the signals). */
  gateway: Map<string, (call: AnsweredCall, handle: WorkflowHandle) => Promise<void>>;
  input(to: string, over?: Partial<CallInput>): CallInput;
  close(): Promise<void>;
}

/** The default price list, as the activities load it (tests set no PRICE_LIST_JSON). */
export const priceList = loadPriceList(undefined);
/** What the client pays for `sec` answered seconds of a call with at most `maxDurationSec` (the harness's default 60), per priceCall. */
export const charge = (
  sec: number,
  maxDurationSec = 60,
  usage: Omit<CallUsageToPrice, 'telephonySeconds'> = { sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 },
) =>
  priceCall({ telephonySeconds: sec, ...usage }, priceList, { maxDurationSec, amountMicro: holdFor(maxDurationSec, priceList) })
    .charged;
/** The agent every harness call talks with. */
export const testAgent = { systemPrompt: 's', firstMessage: 'hi', language: 'en-US', voiceId: 'v', llmModel: 'm' };

export interface TestLedger {
  balance(accountId: string): Promise<{ availableMicro: number; heldMicro: number }>;
}

export async function startCallHarness(
  opts: { credit?: number; wiring?: Pick<CallWiringDeps, 'suppression' | 'priceList' | 'ledger'> } = {},
): Promise<CallHarness> {
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
  const realLedger = createLedger(ctx.sql);
  const ledger: TestLedger = {
    balance: async (id) => {
      const b = await realLedger.balance(id);
      return { availableMicro: b.available, heldMicro: b.held };
    },
  };
  const activities = {
    ...callActivitiesFromConfig({ sql: ctx.sql, config, log, temporal: ctx.client, ...opts.wiring }),
    ...dialerActivitiesFromConfig({ sql: ctx.sql, config, log }),
  };
  const [account] = await ctx.sql<{ id: string }[]>`insert into accounts (name) values ('call test') returning id`;
  const accountId = account!.id;
  const agentId = await saveAgent(ctx.sql, accountId, testAgent);
  await realLedger.credit({
    accountId,
    amount: opts.credit ?? 10_000_000,
    key: `test-credit/${accountId}`,
    reason: 'call tests',
  });
  return {
    ctx,
    sim,
    config,
    apiUrl,
    accountId,
    agentId,
    activities,
    ledger,
    ledgerOps: async (callId) =>
      (await ctx.sql<{ op: string }[]>`select op from ledger_operations where key like ${`call/${callId}:%`} order by seq`).map(
        (r) => r.op,
      ),
    gateway,
    input: (to, over = {}) => ({
      callId: randomUUID(),
      accountId,
      attempt: 1,
      to,
      maxDurationSec: 60,
      ringTimeoutSec: 2,
      voicemailPolicy: 'hangup',
      agentId,
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

/** Histories of every finished run, replayed against the current code at the end of the file. */
export const recordedHistories: { name: string; workflowId: string; history: History }[] = [];

export async function recordHistory(name: string, handle: WorkflowHandle) {
  recordedHistories.push({ name, workflowId: handle.workflowId, history: await handle.fetchHistory() });
}

export async function runCall(
  h: CallHarness,
  taskQueue: string,
  input: CallInput,
  name = 'call',
): Promise<{ result: CallResult; handle: WorkflowHandle }> {
  const handle = await h.ctx.client.workflow.start('callWorkflow', {
    taskQueue,
    workflowId: callWorkflowId(input.callId),
    args: [{ dialerTaskQueue: taskQueue, ...input }],
  });
  const result = (await handle.result()) as CallResult;
  await recordHistory(`${name}-${result.status}`, handle);
  return { result, handle };
}

/** What the media gateway does when Twilio's stream starts: claim the call for stream `streamSid` (proof of answer). */
export async function attach(handle: WorkflowHandle, callSid: string, streamSid: string) {
  const attachId = randomUUID();
  return handle.executeUpdate(attachMediaUpdate, {
    args: [{ streamSid, callSid, attachId, at: new Date().toISOString() }],
    updateId: `media/${attachId}`,
  });
}

/**
 * RECORD_CALL_HISTORIES=1 writes the histories recorded in this test file to test/call/histories/
 * (one per name), which test/call/replay.test.ts replays forever after.
 */
export function writeRecordedHistories() {
  if (!process.env.RECORD_CALL_HISTORIES) return;
  const dir = new URL('./histories/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const seen = new Set<string>();
  for (const { name, history } of recordedHistories) {
    if (seen.has(name)) continue;
    seen.add(name);
    // Binary protobuf, encoded by @temporalio/proto itself: the JSON route (historyToJSON /
    // historyFromJSON) fails here because @temporalio/common and @temporalio/proto carry
    // different protobufjs copies.
    writeFileSync(new URL(`${name}.binpb`, dir), temporal.api.history.v1.History.encode(history).finish());
  }
}
