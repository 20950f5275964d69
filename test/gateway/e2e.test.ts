import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import twilio from 'twilio';
import { createApp } from '../../api/app';
import { callActivitiesFromConfig, dialerActivitiesFromConfig } from '../../activities/call';
import { createLedger } from '../../lib/ledger';
import { callWorkflowId } from '../../lib/ids';
import { mediaStreamUrl } from '../../lib/media-stream';
import type { Config } from '../../lib/config';
import { AzureSpeechToText, ElevenLabsTextToSpeech, OpenRouterChatModel } from '../../providers';
import { createTwilioCallControl } from '../../providers/twilio/adapter';
import { startTwilioSim, type TwilioSim } from '../../sim/twilio/server';
import { parseTwiml } from '../../sim/twilio/twiml';
import { startAzureSpeechSim, type AzureSpeechSim } from '../../sim/azure-speech/server';
import { startOpenRouterSim, type OpenRouterSim, type ReplyScript } from '../../sim/openrouter/server';
import { startElevenLabsSim, type ElevenLabsSim } from '../../sim/elevenlabs/server';
import { startMediaGateway, type MediaGateway } from '../../media-gateway/gateway';
import { DEFAULT_SETTINGS } from '../../media-gateway/conversation/session';
import { temporalCallPort } from '../../media-gateway/signals/port';
import {
  callStateQuery,
  OPT_OUT_OUTCOME,
  type AgentConfig,
  type CallInput,
  type CallResult,
} from '../../workflows/call/contract';
import { saveAgent } from '../../lib/agents/store';
import { freePort } from '../helpers/ports';
import { testContext, testLogger, withWorker, type TestContext } from '../helpers/env';
import { baseAgent } from './harness';

/**
 * The whole path through a real call workflow: the workflow holds credit and dials the Twilio
 * simulator; the simulated callee answers and opens the media stream (signed handshake, minted
 * token) to the gateway; the gateway talks to the vendor simulators and signals the workflow in
 * Temporal, which hangs up, settles and writes the transcript and costs to Postgres.
 */

/** The transcript of the scripted call with the interested caller, as stored. */
const INTERESTED_CALL = [
  'agent: Hello, this is Aina from Acme.',
  'caller: Hello?',
  'agent: We have a new plan for you.',
  'caller: Yes, I am interested.',
  'agent: Wonderful. Goodbye.',
];

const LONG = 'Our new plan gives you unlimited calls and free data on weekends, and a new phone every year.';
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last === 'Tell me more.') return { text: LONG };
  if (last.includes('human'))
    return { text: 'Sure, one moment.', toolCalls: [{ name: 'transfer_call', arguments: { reason: 'asked for a person' } }] };
  if (last.includes('interested')) {
    return {
      text: 'Wonderful.',
      toolCalls: [
        { name: 'record_outcome', arguments: { result: 'interested' } },
        { name: 'end_call', arguments: { goodbye: 'Goodbye.' } },
      ],
    };
  }
  return { text: 'We have a new plan for you.' };
};

let ctx: TestContext;
let sim: TwilioSim;
let azure: AzureSpeechSim;
let openrouter: OpenRouterSim;
let elevenlabs: ElevenLabsSim;
let gateway: MediaGateway;
let config: Config;
let api: http.Server;
let activities: Record<string, unknown>;
let accountId: string;

beforeAll(async () => {
  ctx = await testContext();
  const log = testLogger();
  [azure, openrouter, elevenlabs] = await Promise.all([
    startAzureSpeechSim({ finalLatencyMs: 20 }),
    startOpenRouterSim({ script, firstTokenMs: 30, tokensPerSec: 400 }),
    startElevenLabsSim({ firstByteMs: 20 }),
  ]);
  sim = await startTwilioSim({ callee: true, transferTalkMs: 500 });
  const gwPort = await freePort();
  api = http.createServer();
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  config = {
    ...ctx.config,
    APP_ORIGIN: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    MEDIA_PUBLIC_URL: `ws://127.0.0.1:${gwPort}`,
    MEDIA_TOKEN_SECRET: 'e2e-media-secret',
    TWILIO_API_BASE: sim.url,
  };
  api.on('request', createApp({ sql: ctx.sql, temporal: ctx.client, config, log }));
  gateway = await startGateway(gwPort);
  activities = {
    ...callActivitiesFromConfig({ sql: ctx.sql, config, log, temporal: ctx.client }),
    ...dialerActivitiesFromConfig({ sql: ctx.sql, config, log }),
  };
  const [a] = await ctx.sql<{ id: string }[]>`insert into accounts (name) values ('gateway e2e') returning id`;
  accountId = a!.id;
  await createLedger(ctx.sql).credit({ accountId, amount: 10_000_000, key: `test-credit/${accountId}`, reason: 'gateway e2e' });
});

/** A gateway instance on `port`; every instance serves the same public URL, as behind one load balancer. */
function startGateway(port: number): Promise<MediaGateway> {
  const log = testLogger();
  return startMediaGateway({
    deps: {
      stt: new AzureSpeechToText({ key: azure.key, endpoint: azure.endpoint }),
      llm: new OpenRouterChatModel({ apiKey: openrouter.apiKey, baseURL: openrouter.baseUrl }),
      tts: new ElevenLabsTextToSpeech({ apiKey: elevenlabs.apiKey, baseUrl: elevenlabs.env().ELEVENLABS_BASE_URL! }),
      port: temporalCallPort(ctx.client),
      transfer: createTwilioCallControl({
        accountSid: sim.accountSid,
        authToken: sim.authToken,
        fromNumber: '+15005550006',
        apiBase: sim.url,
      }),
      log,
      settings: DEFAULT_SETTINGS,
    },
    mediaTokenSecret: config.MEDIA_TOKEN_SECRET!,
    // The simulated callee signs the handshake as Twilio does: verify it.
    twilioAuthToken: sim.authToken,
    publicUrl: mediaStreamUrl(config.MEDIA_PUBLIC_URL!),
    port,
    log,
  });
}

afterAll(async () => {
  await gateway?.close(2_000);
  await sim?.close();
  await Promise.all([azure?.close(), openrouter?.close(), elevenlabs?.close()]);
  api?.closeAllConnections();
  await new Promise<void>((r) => (api ? api.close(() => r()) : r()));
});

let n = 0;
const number = () => `+1415555${String((process.pid * 31 + ++n) % 10_000).padStart(4, '0')}`;

async function runCall(
  to: string,
  { agent = baseAgent({ transferNumber: '+60312345678' }), ...over }: Partial<CallInput> & { agent?: AgentConfig } = {},
  whileLive?: (callId: string) => Promise<void>,
): Promise<CallResult> {
  const input: CallInput = {
    callId: randomUUID(),
    accountId,
    attempt: 1,
    to,
    maxDurationSec: 60,
    ringTimeoutSec: 5,
    voicemailPolicy: 'hangup',
    agentId: await saveAgent(ctx.sql, accountId, agent),
    timeouts: { ringGraceSec: 3, endGraceSec: 5 },
    ...over,
  };
  return withWorker({ activities }, async (taskQueue) => {
    const handle = await ctx.client.workflow.start('callWorkflow', {
      taskQueue,
      workflowId: callWorkflowId(input.callId),
      args: [{ ...input, dialerTaskQueue: taskQueue }],
    });
    await whileLive?.(input.callId);
    return (await handle.result()) as CallResult;
  });
}

describe('gateway with a real call workflow', () => {
  it('opt-out: "please do not call me again" settles the call with the outcome opt_out and the confirmation in the transcript', async () => {
    const to = number();
    sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 50, persona: [{ say: 'Please do not call me again.' }] } };
    // Own voices: the end_call test counts the TTS characters of voice-aina.
    const result = await runCall(to, { agent: baseAgent({ voiceId: 'voice-optout' }) });
    expect(result.status).toBe('completed');
    expect(result.outcome).toMatchObject({ result: OPT_OUT_OUTCOME });
    const turns = await ctx.sql<
      { role: string; text: string }[]
    >`select role, text from transcript_turns where call_id = ${result.callId} order by seq`;
    expect(turns.map((t) => `${t.role}: ${t.text}`).slice(-2)).toEqual([
      'caller: Please do not call me again.',
      "agent: Understood, we won't call you again. Goodbye.",
    ]);
  });

  it('a caller who hangs up mid-reply: the stored transcript ends with the reply as far as it was heard, marked interrupted', async () => {
    const to = number();
    sim.scenario.numbers = {
      [to]: { kind: 'answer', afterMs: 50, persona: [{ say: 'Tell me more.' }, { hangup: true, after: { ms: 2_500 } }] },
    };
    const result = await runCall(to, { agent: baseAgent({ voiceId: 'voice-hangup' }) });
    expect(result.status).toBe('completed');
    const turns = await ctx.sql<
      { role: string; text: string; interrupted: boolean }[]
    >`select role, text, interrupted from transcript_turns where call_id = ${result.callId} order by seq`;
    const last = turns.at(-1)!;
    expect(last).toMatchObject({ role: 'agent', interrupted: true });
    expect(last.text.length).toBeGreaterThan(5);
    expect(LONG.startsWith(last.text)).toBe(true);
    expect(last.text.length).toBeLessThan(LONG.length);
  });

  it('a conversation ending with end_call: the workflow hangs up, settles the usage and stores the transcript', async () => {
    const to = number();
    sim.scenario.numbers = {
      [to]: { kind: 'answer', afterMs: 50, persona: [{ say: 'Hello?' }, { say: 'Yes, I am interested.' }] },
    };
    const result = await runCall(to);
    expect(result.status).toBe('completed');
    expect(result.outcome).toEqual({ result: 'interested' });
    const turns = await ctx.sql<{ seq: number; role: string; text: string; latency: any }[]>`
      select seq, role, text, latency from transcript_turns where call_id = ${result.callId} order by seq`;
    expect(turns.map((t) => `${t.role}: ${t.text}`)).toEqual(INTERESTED_CALL);
    expect(turns[2]!.latency.firstFrameMs).toBeGreaterThan(0);
    const [cost] = await ctx.sql<
      {
        stt_audio_ms: number;
        prompt_tokens: number;
        completion_tokens: number;
        tts_characters: number;
        llm_reported_cost: number | null;
      }[]
    >`
      select stt_audio_ms, prompt_tokens, completion_tokens, tts_characters, llm_reported_cost from call_costs where call_id = ${result.callId}`;
    expect(cost!.stt_audio_ms).toBeGreaterThan(1000);
    expect(cost!.prompt_tokens).toBeGreaterThan(0);
    expect(cost!.completion_tokens).toBeGreaterThan(0);
    expect(cost!.llm_reported_cost).toBeGreaterThan(0);
    const ttsChars = elevenlabs.streams.filter((s) => s.voiceId === 'voice-aina').reduce((k, s) => k + s.characters, 0);
    expect(cost!.tts_characters).toBe(ttsChars);
    const media = [...sim.mediaSessions.values()].find((m) => m.caller.some((c) => c.text === 'Hello?'))!;
    expect(media.end?.by).toBe('gateway');
  });

  it('transfer_call: the call is redirected to the campaign transfer number and stays up until the transferred leg ends', async () => {
    const to = number();
    sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 50, persona: [{ say: 'Can I talk to a human?' }] } };
    const result = await runCall(to);
    expect(result.status).toBe('completed');
    const [row] = await ctx.sql<{ provider_call_sid: string }[]>`select provider_call_sid from calls where id = ${result.callId}`;
    const call = sim.call(row!.provider_call_sid)!;
    expect(call.transferredTo).toBe('+60312345678');
    expect(call.redirects[0]).toContain('<Dial');
    const turns = await ctx.sql<
      { text: string }[]
    >`select text from transcript_turns where call_id = ${result.callId} order by seq`;
    expect(turns.map((t) => t.text)).toEqual(['Hello, this is Aina from Acme.', 'Can I talk to a human?', 'Sure, one moment.']);
  });

  it('voicemail policy leave_message: the machine greeting plays out, the message is left after the beep, status voicemail with its costs', async () => {
    const to = number();
    // The simulated machine plays its greeting; Twilio's DetectMessageEnd posts machine_end_beep after it.
    sim.scenario.numbers = { [to]: { kind: 'voicemail', afterMs: 50, hangupAfterMs: 30_000 } };
    const message = 'Hi, this is Aina from Acme. Please call us back.';
    const result = await runCall(to, {
      voicemailPolicy: 'leave_message',
      agent: baseAgent({ voiceId: 'voice-vm', voicemailMessage: message }),
    });
    expect(result.status).toBe('voicemail');
    const [row] = await ctx.sql<{ status: string; answered_by: string; provider_call_sid: string }[]>`
      select status, answered_by, provider_call_sid from calls where id = ${result.callId}`;
    expect(row).toMatchObject({ status: 'voicemail', answered_by: 'machine_end_beep' });
    expect(sim.creates(to)[0]!.params.MachineDetection).toBe('DetectMessageEnd');
    const agentTurns = await ctx.sql<
      { text: string }[]
    >`select text from transcript_turns where call_id = ${result.callId} and role = 'agent' order by seq`;
    expect(agentTurns.map((t) => t.text)).toEqual([message]);
    // What the machine recorded: the message alone, after its greeting; then the gateway ended the stream.
    const media = sim.mediaSessions.get(row!.provider_call_sid)!;
    expect(media.agent.map((u) => u.text)).toEqual([message]);
    expect(media.agent[0]!.startMs).toBeGreaterThan(media.caller[0]!.endMs!);
    expect(media.end?.by).toBe('gateway');
    // Billed as any answered call: telephony seconds, STT, and the message's TTS characters.
    const [cost] = await ctx.sql<{ tts_characters: number; tts_cost: number; charged_amount: number }[]>`
      select tts_characters, tts_cost, charged_amount from call_costs where call_id = ${result.callId}`;
    const ttsChars = elevenlabs.streams.filter((s) => s.voiceId === 'voice-vm').reduce((k, s) => k + s.characters, 0);
    expect(cost!.tts_characters).toBe(ttsChars);
    expect(cost!.tts_characters).toBeGreaterThanOrEqual(message.length);
    expect(cost!.tts_cost).toBeGreaterThan(0);
    expect(cost!.charged_amount).toBe(result.chargedMicro);
    expect(result.chargedMicro).toBeGreaterThan(0);
  });
});

describe('a replayed media token with two gateway instances', () => {
  it('a second stream on another gateway is refused 1008 by the call workflow; the live call, its transcript and its usage are untouched', async () => {
    const gateway2 = await startGateway(await freePort());
    try {
      const to = number();
      // Silent for a while after the greeting, so the call is surely live when the replays arrive.
      sim.scenario.numbers = {
        [to]: {
          kind: 'answer',
          afterMs: 50,
          persona: [{ silence: { ms: 1_500 } }, { say: 'Hello?' }, { say: 'Yes, I am interested.' }],
        },
      };
      const refused: { code: number; reason: string }[] = [];
      const result = await runCall(to, { agent: baseAgent({ voiceId: 'voice-replayed' }) }, async (callId) => {
        // The live stream holds the call once its greeting is in the workflow's transcript.
        const handle = ctx.client.workflow.getHandle(callWorkflowId(callId));
        await expect
          .poll(async () => (await handle.query(callStateQuery)).transcript.length, { timeout: 20_000 })
          .toBeGreaterThan(0);
        const live = sim.calls().find((c) => c.to === to)!;
        const stream = parseTwiml(String(live.params.Twiml)).stream!;
        const session = sim.mediaSessions.get(live.sid)!;
        // What a replay can carry: the captured handshake signature (Twilio signs the URL only),
        // the same token, and a `start` with a new streamSid or the captured one.
        const signature = twilio.getExpectedTwilioSignature(sim.authToken, stream.url, {});
        for (const streamSid of ['MZ' + randomBytes(16).toString('hex'), session.streamSid]) {
          refused.push(
            await replay(`ws://127.0.0.1:${gateway2.port}/twilio/stream`, signature, {
              streamSid,
              callSid: live.sid,
              parameters: stream.parameters,
            }),
          );
        }
      });
      expect(refused).toEqual([
        { code: 1008, reason: 'call already streaming' },
        { code: 1008, reason: 'call already streaming' },
      ]);
      expect(result.status).toBe('completed');
      expect(result.outcome).toEqual({ result: 'interested' });
      const turns = await ctx.sql<
        { role: string; text: string }[]
      >`select role, text from transcript_turns where call_id = ${result.callId} order by seq`;
      expect(turns.map((t) => `${t.role}: ${t.text}`)).toEqual(INTERESTED_CALL);
      // One agent spoke: the characters billed are those of the live stream's TTS, and nothing was
      // synthesised for the refused ones (each would have greeted first).
      const [cost] = await ctx.sql<
        { tts_characters: number; stt_audio_ms: number }[]
      >`select tts_characters, stt_audio_ms from call_costs where call_id = ${result.callId}`;
      const streams = elevenlabs.streams.filter((s) => s.voiceId === 'voice-replayed');
      expect(cost!.tts_characters).toBe(streams.reduce((k, s) => k + s.characters, 0));
      expect(streams.filter((s) => s.text.includes('Hello'))).toHaveLength(1);
      expect(cost!.stt_audio_ms).toBeGreaterThan(1000);
      // One accepted attach in the call's history; the refusals left none.
      const history = await ctx.client.workflow.getHandle(callWorkflowId(result.callId)).fetchHistory();
      expect(history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
      expect(gateway2.sessions.size).toBe(0);
    } finally {
      await gateway2.close(2_000);
    }
  });
});

/** A raw Media Streams client: the handshake and a `start`, then waits for the gateway to close it. */
function replay(
  url: string,
  signature: string,
  start: { streamSid: string; callSid: string; parameters: Record<string, string> },
): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { 'x-twilio-signature': signature } });
    ws.on('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    ws.on('open', () => {
      ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
      ws.send(
        JSON.stringify({
          event: 'start',
          sequenceNumber: '1',
          streamSid: start.streamSid,
          start: {
            streamSid: start.streamSid,
            accountSid: sim.accountSid,
            callSid: start.callSid,
            tracks: ['inbound'],
            customParameters: start.parameters,
            mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
          },
        }),
      );
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', () => {});
  });
}
