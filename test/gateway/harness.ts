import { randomBytes, randomUUID } from 'node:crypto';
import type { SignalDefinition } from '@temporalio/common';
import { mintMediaToken } from '../../lib/media-token';
import { AzureSpeechToText, ElevenLabsTextToSpeech, OpenRouterChatModel } from '../../providers';
import { startAzureSpeechSim, type AzureSpeechSim } from '../../sim/azure-speech/server';
import { startOpenRouterSim, type OpenRouterSim, type ReplyScript } from '../../sim/openrouter/server';
import { startElevenLabsSim, type ElevenLabsSim } from '../../sim/elevenlabs/server';
import { CalleeStream } from '../../sim/callee/media-client';
import { runPersona } from '../../sim/callee/persona-runner';
import type { PersonaStep } from '../../sim/callee/persona';
import type { MediaSession } from '../../sim/callee/session';
import { startMediaGateway, type MediaGateway } from '../../media-gateway/gateway';
import { DEFAULT_SETTINGS, type CallTransfer, type GatewaySettings } from '../../media-gateway/conversation/session';
import { CallGoneError, mediaRefusal, type CallWorkflowPort } from '../../media-gateway/signals/port';
import type {
  AgentConfig,
  CallAgentView,
  CallAmdView,
  CallUsage,
  MediaAttachRequest,
  VoicemailPolicy,
  MediaEndedEvent,
  TranscriptTurn,
  CallOutcome,
} from '../../workflows/call/contract';
import { judgeAttach, type MediaClaim } from '../../workflows/call/media-claim';
import { testLogger } from '../helpers/env';
import type { RecordingService } from '../../media-gateway/recording/service';
import type { SimSpeech } from '../../sim/audio';

/**
 * The gateway against the three vendor simulators and the simulated callee (sim/callee), with an
 * in-memory workflow port that records every signal. The end-to-end test through a real call
 * workflow lives in e2e.test.ts.
 */

export const SECRET = 'gateway-test-secret';

export interface Recorded {
  name: string;
  arg: any;
  at: number;
}

/**
 * Stands in for Temporal: the agent per callId, the media claim judged by the workflow's own rule
 * (workflows/call/media-claim.ts), and every accepted attach and signal in the order received.
 */
export class FakeWorkflows implements CallWorkflowPort {
  readonly views = new Map<string, CallAgentView>();
  readonly signals = new Map<string, Recorded[]>();
  readonly claims = new Map<string, MediaClaim>();
  /** Signals fail (as if Temporal were unreachable) while > 0, counting down. */
  failSignals = 0;
  gone = new Set<string>();
  /** Temporal calls made, per callId: attaches asked (accepted or not) and `callAmd` queries. */
  readonly queries = new Map<string, { attachMedia: number; callAmd: number }>();
  /** Calls whose attach fails as if Temporal were unreachable (the outcome is unknown to the gateway). */
  attachUnreachable = new Set<string>();
  /** How long each attach takes to answer. */
  attachDelayMs = 0;

  async signal<T>(callId: string, def: SignalDefinition<[T]>, arg: T): Promise<void> {
    if (this.gone.has(callId) || !this.views.has(callId)) throw new CallGoneError(`no workflow for ${callId}`);
    if (this.failSignals > 0) {
      this.failSignals--;
      throw new Error('14 UNAVAILABLE: connection refused');
    }
    const list = this.signals.get(callId) ?? [];
    list.push({ name: def.name, arg: structuredClone(arg), at: Date.now() });
    this.signals.set(callId, list);
  }

  async attachMedia(callId: string, req: MediaAttachRequest): Promise<CallAgentView> {
    this.count(callId).attachMedia++;
    if (this.attachDelayMs) await new Promise((r) => setTimeout(r, this.attachDelayMs));
    const v = this.views.get(callId);
    if (!v || this.gone.has(callId)) throw new CallGoneError(`no workflow for ${callId}`);
    if (this.attachUnreachable.has(callId)) throw new Error('14 UNAVAILABLE: connection refused');
    const verdict = judgeAttach(this.claims.get(callId), req, { status: v.status, over: !!this.ended(callId) });
    if (!verdict.ok) throw mediaRefusal(verdict.type, verdict.message)!;
    if (!verdict.repeat) {
      this.claims.set(callId, { streamSid: req.streamSid, attachId: req.attachId });
      const list = this.signals.get(callId) ?? [];
      list.push({ name: 'attachMedia', arg: structuredClone(req), at: Date.now() });
      this.signals.set(callId, list);
    }
    return v;
  }

  async amd(callId: string): Promise<CallAmdView> {
    this.count(callId).callAmd++;
    const v = this.views.get(callId);
    if (!v || this.gone.has(callId)) throw new CallGoneError(`no workflow for ${callId}`);
    return { status: v.status, ...(v.answeredBy ? { answeredBy: v.answeredBy } : {}) };
  }

  /** What the AMD callback would do: the workflow records the verdict (the gateway finds it by polling). */
  setAnsweredBy(callId: string, answeredBy: string) {
    this.views.get(callId)!.answeredBy = answeredBy;
  }

  queriesOf(callId: string): { attachMedia: number; callAmd: number } {
    return { ...this.count(callId) };
  }

  private count(callId: string) {
    let q = this.queries.get(callId);
    if (!q) this.queries.set(callId, (q = { attachMedia: 0, callAmd: 0 }));
    return q;
  }

  of(callId: string, name?: string): Recorded[] {
    return (this.signals.get(callId) ?? []).filter((s) => !name || s.name === name);
  }

  /** The transcript as the workflow would hold it: by seq, later re-sends replacing earlier ones. */
  transcript(callId: string): TranscriptTurn[] {
    const bySeq = new Map<number, TranscriptTurn>();
    for (const s of this.of(callId, 'transcript')) bySeq.set(s.arg.seq, s.arg);
    return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
  }

  lastUsage(callId: string): CallUsage | undefined {
    return this.of(callId, 'usage').at(-1)?.arg;
  }

  ended(callId: string): MediaEndedEvent | undefined {
    return this.of(callId, 'mediaEnded')[0]?.arg;
  }

  outcome(callId: string): CallOutcome | undefined {
    return this.of(callId, 'outcome').at(-1)?.arg;
  }
}

export const baseAgent = (over: Partial<AgentConfig> = {}): AgentConfig => ({
  systemPrompt: 'You sell the Acme phone plan.',
  firstMessage: 'Hello, this is Aina from Acme.',
  language: 'en-US',
  voiceId: 'voice-aina',
  llmModel: 'test/model-a',
  outcomes: ['interested', 'not_interested', 'callback'],
  ...over,
});

export interface HarnessOptions {
  script?: ReplyScript;
  settings?: Partial<GatewaySettings>;
  firstTokenMs?: number;
  tokensPerSec?: number;
  ttsFirstByteMs?: number;
  sttFinalLatencyMs?: number;
  transfer?: CallTransfer;
  twilioAuthToken?: string;
  port?: number;
  /** Most audio the STT adapter gathers into one message (adapter default 100 ms; 0 = every frame alone). */
  sttMaxHoldMs?: number;
  /** Record calls (test/recordings); the callee then keeps both sides' audio too. */
  recordings?: RecordingService;
  /** The simulators' speech: two-tone code (default) or espeak-ng (test/sim-speech). */
  speech?: SimSpeech;
}

export interface TestCall {
  callId: string;
  stream: CalleeStream;
  media: MediaSession;
  /** The persona finished its steps (or the stream ended). */
  script: Promise<void>;
  ended: Promise<void>;
  hangup(): void;
}

export interface GatewayHarness {
  gateway: MediaGateway;
  azure: AzureSpeechSim;
  openrouter: OpenRouterSim;
  elevenlabs: ElevenLabsSim;
  workflows: FakeWorkflows;
  call(
    steps: PersonaStep[],
    opts?: {
      agent?: Partial<AgentConfig>;
      callId?: string;
      token?: string;
      register?: boolean;
      authToken?: string;
      voicemailPolicy?: VoicemailPolicy;
    },
  ): TestCall;
  /** Resolves when the gateway has signalled mediaEnded for the call and the stream is closed. */
  waitEnded(call: TestCall, timeoutMs?: number): Promise<MediaEndedEvent>;
  close(): Promise<void>;
}

export async function startGatewayHarness(opts: HarnessOptions = {}): Promise<GatewayHarness> {
  const [azure, openrouter, elevenlabs] = await Promise.all([
    startAzureSpeechSim({ finalLatencyMs: opts.sttFinalLatencyMs ?? 20, speech: opts.speech }),
    startOpenRouterSim({ script: opts.script, firstTokenMs: opts.firstTokenMs ?? 30, tokensPerSec: opts.tokensPerSec ?? 400 }),
    startElevenLabsSim({ firstByteMs: opts.ttsFirstByteMs ?? 20, speech: opts.speech }),
  ]);
  const workflows = new FakeWorkflows();
  const log = testLogger();
  const gateway = await startMediaGateway({
    deps: {
      stt: new AzureSpeechToText({ key: azure.key, endpoint: azure.endpoint, maxHoldMs: opts.sttMaxHoldMs }),
      llm: new OpenRouterChatModel({ apiKey: openrouter.apiKey, baseURL: openrouter.baseUrl, retryBaseMs: 20, maxAttempts: 2 }),
      tts: new ElevenLabsTextToSpeech({ apiKey: elevenlabs.apiKey, baseUrl: elevenlabs.env().ELEVENLABS_BASE_URL! }),
      port: workflows,
      transfer: opts.transfer,
      log,
      settings: { ...DEFAULT_SETTINGS, ...opts.settings },
    },
    mediaTokenSecret: SECRET,
    twilioAuthToken: opts.twilioAuthToken,
    publicUrl: opts.port ? `ws://127.0.0.1:${opts.port}` : undefined,
    port: opts.port,
    log,
    recordings: opts.recordings,
  });
  const calls: TestCall[] = [];

  return {
    gateway,
    azure,
    openrouter,
    elevenlabs,
    workflows,
    call(steps, o = {}) {
      const callId = o.callId ?? randomUUID();
      if (o.register !== false) {
        workflows.views.set(callId, {
          callId,
          accountId: randomUUID(),
          status: 'in_progress',
          agent: baseAgent(o.agent),
          voicemailPolicy: o.voicemailPolicy ?? 'hangup',
        });
      }
      const ac = new AbortController();
      let streamUrl = gateway.url;
      if (opts.twilioAuthToken) streamUrl = `ws://127.0.0.1:${gateway.port}/twilio/stream`;
      let resolveDone!: () => void;
      const stream = new CalleeStream(
        {
          callSid: 'CA' + randomBytes(16).toString('hex'),
          accountSid: 'AC' + '0'.repeat(32),
          streamUrl,
          parameters: { callId, token: o.token ?? mintMediaToken(SECRET, callId, 600) },
          signal: ac.signal,
          authToken: o.authToken,
          persona: 'test',
          record: !!opts.recordings,
          speech: opts.speech,
        },
        new Promise<void>((r) => (resolveDone = r)),
      );
      const script = runPersona(stream, steps);
      stream.connect();
      void stream.ended.then(resolveDone);
      const c: TestCall = {
        callId,
        stream,
        media: stream.session,
        script,
        ended: stream.ended,
        hangup: () => ac.abort('callee'),
      };
      calls.push(c);
      return c;
    },
    async waitEnded(call, timeoutMs = 45_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const e = workflows.ended(call.callId);
        if (e && call.stream.isOver) return e;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`call ${call.callId} did not end in ${timeoutMs} ms (stream over: ${call.stream.isOver})`);
    },
    async close() {
      for (const c of calls) c.hangup();
      await gateway.close(2_000);
      await Promise.all([azure.close(), openrouter.close(), elevenlabs.close()]);
    },
  };
}

/** Who said what, in order, from the recorded transcript signals. */
export function lines(turns: TranscriptTurn[]): string[] {
  return turns.map((t) => `${t.role}${t.interrupted ? '(interrupted)' : ''}: ${t.text}`);
}
