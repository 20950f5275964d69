import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import type {
  ChatDelta,
  ChatModel,
  ChatRequest,
  SpeechToText,
  SttEvents,
  SttOptions,
  SttSession,
  TextToSpeech,
  TtsOptions,
  TtsStream,
} from '../../providers/types';
import { CallSession } from '../../media-gateway/conversation/session';
import { DEFAULT_SETTINGS, type GatewaySettings, type SessionIo } from '../../media-gateway/conversation/settings';
import type { AgentState, Transition } from '../../media-gateway/conversation/events';
import type { AgentConfig, VoicemailPolicy } from '../../workflows/call/contract';
import { FakeWorkflows, baseAgent } from './harness';
import { testLogger } from '../helpers/env';

/**
 * Fakes for driving the conversation without sockets or simulators (LiveKit agents' testing/
 * fake_llm idea): a scripted STT whose transcripts the test emits, a scripted model, a TTS that
 * turns text into so much audio, an io that records what would go to Twilio, and vitest's fake
 * clock (setTimeout, performance.now, Date) so timers fire when the test says so.
 */

export const VOICE = Buffer.alloc(160, 0x10); // 20 ms of loud µ-law: voice to our detector
export const QUIET = Buffer.alloc(160, 0xff); // 20 ms of µ-law silence

export class FakeSttSession implements SttSession {
  audioMs = 0;
  closed = false;
  private readonly handlers: { [K in keyof SttEvents]?: SttEvents[K][] } = {};

  write(ulaw: Buffer): void {
    this.audioMs += ulaw.length / 8;
  }

  on<E extends keyof SttEvents>(event: E, listener: SttEvents[E]): this {
    ((this.handlers[event] ??= []) as SttEvents[E][]).push(listener);
    return this;
  }

  emit<E extends keyof SttEvents>(event: E, ...args: Parameters<SttEvents[E]>) {
    for (const h of this.handlers[event] ?? []) (h as (...a: unknown[]) => void)(...args);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export class FakeStt implements SpeechToText {
  readonly sessions: FakeSttSession[] = [];
  async start(_opts: SttOptions): Promise<SttSession> {
    const s = new FakeSttSession();
    this.sessions.push(s);
    return s;
  }
  get current(): FakeSttSession {
    return this.sessions.at(-1)!;
  }
}

/** One scripted model answer. `stallAfter`: after that many deltas the stream waits until aborted (no usage chunk). */
export interface FakeAnswer {
  text?: string;
  tools?: { name: string; arguments: Record<string, unknown> }[];
  costMicro?: number;
  stallAfter?: number;
}

export class FakeLlm implements ChatModel {
  readonly requests: ChatRequest[] = [];
  /** Answers by the last user message; `fallback` otherwise. */
  answers = new Map<string, FakeAnswer>();
  fallback: FakeAnswer = { text: 'Pardon?' };
  tokenMs = 10;

  async *stream(req: ChatRequest): AsyncIterable<ChatDelta> {
    this.requests.push({ ...req, messages: req.messages.map((m) => ({ ...m })) });
    const last = [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const a = this.answers.get(last) ?? this.fallback;
    const words = (a.text ?? '').split(/(?<= )/).filter(Boolean);
    const deltas: ChatDelta[] = [
      ...words.map((w) => ({ type: 'text' as const, text: w })),
      ...(a.tools ?? []).map((t, i) => ({
        type: 'tool_call' as const,
        id: `call_${this.requests.length}_${i}`,
        name: t.name,
        arguments: JSON.stringify(t.arguments),
      })),
    ];
    for (let i = 0; i < deltas.length; i++) {
      if (a.stallAfter !== undefined && i >= a.stallAfter) await abortOf(req.signal);
      await sleep(this.tokenMs, req.signal);
      yield deltas[i]!;
    }
    if (a.stallAfter !== undefined && a.stallAfter >= deltas.length) await abortOf(req.signal);
    yield {
      type: 'usage',
      promptTokens: 100,
      completionTokens: Math.ceil((a.text ?? '').length / 4),
      costMicro: a.costMicro ?? 50,
    };
  }
}

/** TTS: 100 ms of audio (one chunk) per 10 characters, a chunk every 5 ms. */
export class FakeTts implements TextToSpeech {
  readonly texts: string[] = [];
  failOpens = 0;
  /** A stream whose text matches fails after its first chunk (a connection cut mid-clause). */
  failWhen: ((text: string) => boolean) | undefined;
  async open(opts: TtsOptions): Promise<TtsStream> {
    if (this.failOpens > 0) {
      this.failOpens--;
      throw new Error('tts down');
    }
    let text = '';
    let ended!: () => void;
    const done = new Promise<void>((r) => (ended = r));
    const texts = this.texts;
    const failWhen = this.failWhen;
    return {
      sendText: (t) => (text += t),
      end: () => {
        texts.push(text);
        ended();
      },
      get characters() {
        return text.length;
      },
      audio: (async function* () {
        await done;
        for (let i = 0; i < Math.max(1, Math.ceil(text.length / 10)); i++) {
          await sleep(5, opts.signal);
          if (i === 1 && failWhen?.(text)) throw new Error('tts stream closed');
          yield Buffer.alloc(800, 0x55);
        }
      })(),
    };
  }
}

/** What the gateway sent Twilio. */
export class FakeIo implements SessionIo {
  readonly marks: string[] = [];
  readonly clears: number[] = [];
  frames = 0;
  closed: { code: number; reason: string } | undefined;
  private confirmed = 0;

  send(text: string): void {
    const m = JSON.parse(text) as { event: string; mark?: { name: string } };
    if (m.event === 'media') this.frames++;
    else if (m.event === 'mark') this.marks.push(m.mark!.name);
    else if (m.event === 'clear') this.clears.push(this.marks.length);
  }
  batch(fn: () => void): void {
    fn();
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  /** Marks not yet echoed, oldest first; `take` of them are returned and counted as echoed. */
  unechoed(take = Infinity): string[] {
    const out = this.marks.slice(this.confirmed, this.confirmed + take);
    this.confirmed += out.length;
    return out;
  }
}

export interface FakeCall {
  session: CallSession;
  workflows: FakeWorkflows;
  stt: FakeStt;
  llm: FakeLlm;
  tts: FakeTts;
  io: FakeIo;
  callId: string;
  states: AgentState[];
  transitions: Transition[];
  /** Echo `take` marks (default all) the way Twilio does once the audio before them played. */
  hear(take?: number): void;
  /** Advance the fake clock, letting promises run. */
  advance(ms: number): Promise<void>;
  /** Caller voice for `ms` (20 ms frames), then `quietMs` of silence. */
  voice(ms: number, quietMs?: number): Promise<void>;
  signals(name?: string): { name: string; arg: any }[];
}

export function useFakeClock() {
  vi.useFakeTimers({
    toFake: [
      'setTimeout',
      'clearTimeout',
      'setInterval',
      'clearInterval',
      'setImmediate',
      'clearImmediate',
      'performance',
      'Date',
    ],
  });
}

export async function startFakeCall(
  o: {
    agent?: Partial<AgentConfig>;
    settings?: Partial<GatewaySettings>;
    voicemailPolicy?: VoicemailPolicy;
    answeredBy?: string;
  } = {},
): Promise<FakeCall> {
  const workflows = new FakeWorkflows();
  const callId = randomUUID();
  workflows.views.set(callId, {
    callId,
    accountId: randomUUID(),
    status: 'in_progress',
    agent: baseAgent(o.agent),
    voicemailPolicy: o.voicemailPolicy ?? 'hangup',
    ...(o.answeredBy ? { answeredBy: o.answeredBy } : {}),
  });
  const stt = new FakeStt();
  const llm = new FakeLlm();
  const tts = new FakeTts();
  const io = new FakeIo();
  const session = new CallSession(
    { stt, llm, tts, port: workflows, log: testLogger(), settings: { ...DEFAULT_SETTINGS, ttsPrewarm: false, ...o.settings } },
    io,
    callId,
    'MZ' + callId.replace(/-/g, ''),
    'CA' + callId.replace(/-/g, ''),
  );
  const states: AgentState[] = [];
  const transitions: Transition[] = [];
  session.transitions.on((t) => {
    transitions.push(t);
    if (states.at(-1) !== t.to) states.push(t.to);
  });
  const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms).then(() => undefined);
  const call: FakeCall = {
    session,
    workflows,
    stt,
    llm,
    tts,
    io,
    callId,
    states,
    transitions,
    hear: (take) => {
      for (const m of io.unechoed(take)) session.mark(m);
    },
    advance,
    voice: async (ms, quietMs = 0) => {
      for (let t = 0; t < ms; t += 20) {
        session.audio(VOICE);
        await advance(20);
      }
      for (let t = 0; t < quietMs; t += 20) {
        session.audio(QUIET);
        await advance(20);
      }
    },
    signals: (name) => workflows.of(callId, name),
  };
  void session.start();
  await advance(1);
  return call;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortOf(signal?: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal?.aborted) return reject(abortError());
    signal?.addEventListener('abort', () => reject(abortError()), { once: true });
  });
}

function abortError(): Error {
  return Object.assign(new Error('aborted'), { name: 'AbortError' });
}
