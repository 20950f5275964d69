import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import twilio from 'twilio';
import {
  createListener,
  defaultSimSpeech,
  encodeSpeech,
  speakText,
  ULAW_SILENCE,
  type SimSpeech,
  type SpeechListener,
} from '../audio';
import { FRAME_BYTES, FRAME_MS, DTMF_DIGITS, parseAppMessage, type TwilioToApp } from './protocol';
import type { AgentUtterance, CallerUtteranceKind, CallerUtterance, MarkRecord, MediaSession, StreamEnd } from './session';

/**
 * Twilio's side of one bidirectional Media Stream (<Connect><Stream>), in real time: opens the
 * stream URL, sends `connected` and `start`, then one `media` frame of caller audio every 20 ms
 * (speech queued by the persona, else µ-law silence), `dtmf` on request and `stop` when the call
 * ends. Agent audio from the application is queued and "played" at 20 ms per 160 bytes; a `mark` is
 * echoed once the audio queued before it has played, and a `clear` drops the queue and echoes every
 * pending mark, as Twilio does. What the callee hears is decoded (sim/audio/speech.ts) into agent
 * utterances, which is what the persona reacts to.
 */

export interface CalleeStreamOptions {
  callSid: string;
  accountSid: string;
  streamUrl: string;
  parameters: Record<string, string>;
  /** Aborted when the call ends at Twilio; the abort reason (a string) says why. */
  signal: AbortSignal;
  /** Signs the handshake with X-Twilio-Signature like Twilio does. */
  authToken?: string;
  persona?: string;
  /** Keep both sides' audio for recording() (off saves memory in benches). */
  record?: boolean;
  /** Agent silence that ends an agent utterance for the callee (default 600 ms). */
  agentEndSilenceMs?: number;
  /** Two-tone code or espeak-ng speech, spoken and heard (sim/audio/mode.ts); default SIM_SPEECH, else tones. */
  speech?: SimSpeech;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface CalleeStreamEvents {
  agentStart?(u: AgentUtterance): void;
  agentEnd?(u: AgentUtterance): void;
  /** After every frame tick (media time advanced by 20 ms). */
  tick?(nowMs: number): void;
  end?(end: StreamEnd): void;
}

type PlayItem = { kind: 'audio'; buf: Buffer; off: number } | { kind: 'mark'; rec: MarkRecord };
interface SpeakItem {
  /** Undefined while espeak-ng is still synthesising it: silence goes out meanwhile. */
  buf: Buffer | undefined;
  off: number;
  rec: CallerUtterance;
  done: () => void;
}

const SILENT_FRAME = Buffer.alloc(FRAME_BYTES, ULAW_SILENCE);

export class CalleeStream {
  readonly session: MediaSession;
  private readonly opts: CalleeStreamOptions;
  private ws?: WebSocket;
  private seq = 0;
  private frame = 0;
  private t0 = 0;
  private timer?: NodeJS.Timeout;
  private readonly speakQueue: SpeakItem[] = [];
  private readonly playQueue: PlayItem[] = [];
  private dueMarks: MarkRecord[] = [];
  private readonly decoder: SpeechListener;
  private readonly speech: SimSpeech;
  private openAgent?: AgentUtterance;
  private playing = false;
  private readonly listeners: CalleeStreamEvents[] = [];
  private readonly callerFrames: Buffer[] = [];
  private readonly agentFrames: Buffer[] = [];
  /** Agent audio as received (with `record`), before any `clear` dropped some of it. */
  readonly agentReceived: Buffer[] = [];
  private resolveEnded!: () => void;
  /** Resolves when the stream is over (not waiting for the recording). */
  readonly ended: Promise<void>;

  constructor(opts: CalleeStreamOptions, done: Promise<void>) {
    this.opts = opts;
    this.speech = opts.speech ?? defaultSimSpeech();
    this.decoder = createListener(this.speech, { endSilenceMs: opts.agentEndSilenceMs ?? 600 });
    this.ended = new Promise((r) => (this.resolveEnded = r));
    this.session = {
      callSid: opts.callSid,
      streamSid: 'MZ' + randomBytes(16).toString('hex'),
      accountSid: opts.accountSid,
      url: opts.streamUrl,
      persona: opts.persona ?? 'none',
      startedAt: new Date(),
      connected: false,
      caller: [],
      agent: [],
      marks: [],
      clears: [],
      dtmf: [],
      protocolErrors: [],
      framesSent: 0,
      agentBytesReceived: 0,
      agentBytesPlayed: 0,
      done,
    };
  }

  on(l: CalleeStreamEvents): void {
    this.listeners.push(l);
  }

  /** Media time: ms since the stream opened, at the current frame. */
  nowMs(): number {
    return this.frame * FRAME_MS;
  }

  get isOver(): boolean {
    return this.session.end !== undefined;
  }

  /** Agent audio played in the last frame. */
  get agentPlaying(): boolean {
    return this.playing;
  }

  /** Agent audio received and not yet played. */
  get agentAudioQueued(): boolean {
    return this.playQueue.some((it) => it.kind === 'audio');
  }

  /** Whether the callee hears the agent mid-utterance (from speech start until its end silence). */
  get agentTalking(): boolean {
    return this.openAgent !== undefined;
  }

  /** Recorded audio so far (with `record`), one 160-byte µ-law frame per 20 ms on each side. */
  recording(): { caller: Buffer[]; agent: Buffer[] } {
    return { caller: this.callerFrames, agent: this.agentFrames };
  }

  connect(): void {
    const { signal } = this.opts;
    if (signal.aborted) return this.finish({ by: 'twilio', atMs: 0, detail: String(signal.reason ?? 'call ended') });
    signal.addEventListener('abort', () => this.hangup('twilio', String(signal.reason ?? 'call ended')), { once: true });
    const headers: Record<string, string> = { 'user-agent': 'Twilio.TmeWs/1.0' };
    if (this.opts.authToken)
      headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(this.opts.authToken, this.opts.streamUrl, {});
    let ws: WebSocket;
    try {
      // Generous: on a loaded test machine a loopback handshake can take seconds, and a timeout here ends the call.
      ws = new WebSocket(this.opts.streamUrl, { headers, handshakeTimeout: 30_000 });
    } catch (err) {
      return this.finish({ by: 'error', atMs: 0, detail: (err as Error).message });
    }
    this.ws = ws;
    ws.on('open', () => {
      this.session.connected = true;
      this.session.startedAt = new Date();
      this.t0 = performance.now();
      this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
      const { streamSid, accountSid, callSid } = this.session;
      this.send({
        event: 'start',
        sequenceNumber: this.nextSeq(),
        streamSid,
        start: {
          streamSid,
          accountSid,
          callSid,
          tracks: ['inbound'],
          customParameters: { ...this.opts.parameters },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
      });
      this.loop();
    });
    ws.on('message', (data, isBinary) => {
      if (this.isOver) return;
      if (isBinary) return void this.protocolError('binary frame');
      this.onAppMessage(data.toString());
    });
    ws.on('close', (code, reason) => {
      this.finish({ by: 'gateway', atMs: this.nowMs(), code, reason: reason.toString() });
    });
    ws.on('error', (err) => {
      if (!this.session.connected) this.finish({ by: 'error', atMs: 0, detail: err.message });
      else this.opts.log?.('media stream socket error', { callSid: this.session.callSid, error: err.message });
    });
  }

  /** Queue caller speech; resolves once its last frame is sent (or the stream ended first). */
  speak(kind: CallerUtteranceKind, text: string): Promise<void> {
    if (this.isOver) return Promise.resolve();
    const rec: CallerUtterance = { kind, text, startMs: -1, overAgent: false };
    if (this.speech === 'tones')
      return new Promise((done) => this.speakQueue.push({ buf: encodeSpeech(text), off: 0, rec, done }));
    return new Promise((done) => {
      const item: SpeakItem = { buf: undefined, off: 0, rec, done };
      this.speakQueue.push(item);
      speakText(this.speech, text).then(
        (s) => (item.buf = s.audio),
        (err: Error) => {
          this.opts.log?.('callee speech not synthesised', { callSid: this.session.callSid, error: err.message });
          item.buf = Buffer.alloc(0);
        },
      );
    });
  }

  /** One `dtmf` event per digit, at once (Twilio reports each key press as it is detected). */
  sendDtmf(digits: string): void {
    for (const digit of digits) {
      if (this.isOver) return;
      if (!DTMF_DIGITS.test(digit)) throw new Error(`not a DTMF digit: ${digit}`);
      this.session.dtmf.push({ digit, atMs: this.nowMs() });
      this.send({
        event: 'dtmf',
        sequenceNumber: this.nextSeq(),
        streamSid: this.session.streamSid,
        dtmf: { track: 'inbound_track', digit },
      });
    }
  }

  /** End the stream from Twilio's side: `stop`, then close. */
  hangup(by: 'callee' | 'twilio' = 'callee', detail?: string): void {
    if (this.isOver) return;
    const ws = this.ws;
    const reason = by === 'callee' ? 'callee hung up' : 'call ended';
    if (ws?.readyState === WebSocket.OPEN) {
      const { streamSid, accountSid, callSid } = this.session;
      this.send({ event: 'stop', sequenceNumber: this.nextSeq(), streamSid, stop: { accountSid, callSid } });
      ws.close(1000, reason);
      // Do not hang on a peer that never completes the closing handshake.
      setTimeout(() => ws.terminate(), 2_000).unref();
    } else ws?.terminate();
    this.finish({ by, atMs: this.nowMs(), code: 1000, reason, detail });
  }

  private nextSeq(): string {
    return String(++this.seq);
  }

  private send(msg: TwilioToApp): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private protocolError(error: string): void {
    this.session.protocolErrors.push({ atMs: this.nowMs(), error });
    this.opts.log?.('media stream: frame ignored', { callSid: this.session.callSid, error });
  }

  private onAppMessage(raw: string): void {
    const parsed = parseAppMessage(raw, this.session.streamSid);
    if (!parsed.ok) return this.protocolError(parsed.error);
    const msg = parsed.msg;
    if (msg.event === 'media') {
      const buf = Buffer.from(msg.media.payload, 'base64');
      this.session.agentBytesReceived += buf.length;
      if (this.opts.record) this.agentReceived.push(buf);
      if (buf.length) this.playQueue.push({ kind: 'audio', buf, off: 0 });
    } else if (msg.event === 'mark') {
      const rec: MarkRecord = {
        name: msg.mark.name,
        receivedMs: this.nowMs(),
        cleared: false,
        agentBytesBefore: this.session.agentBytesReceived,
      };
      this.session.marks.push(rec);
      this.playQueue.push({ kind: 'mark', rec });
    } else {
      this.clear();
    }
  }

  private clear(): void {
    let dropped = 0;
    const marks: MarkRecord[] = [...this.dueMarks];
    for (const it of this.playQueue) {
      if (it.kind === 'audio') dropped += it.buf.length - it.off;
      else marks.push(it.rec);
    }
    this.playQueue.length = 0;
    this.dueMarks = [];
    // Takes effect from the next frame: media time nowMs() is where the agent channel goes quiet.
    const atMs = this.nowMs();
    this.session.clears.push({ atMs, droppedBytes: dropped, marks: marks.map((m) => m.name) });
    if (dropped > 0 && this.openAgent) this.openAgent.interrupted = true;
    for (const m of marks) this.echoMark(m, true);
  }

  private echoMark(m: MarkRecord, cleared: boolean): void {
    m.echoedMs = this.nowMs();
    m.cleared = cleared;
    this.send({ event: 'mark', sequenceNumber: this.nextSeq(), streamSid: this.session.streamSid, mark: { name: m.name } });
  }

  /** Frame clock: catches up after a stall so media time keeps pace with real time. */
  private loop(): void {
    if (this.isOver) return;
    const now = performance.now();
    while (!this.isOver && now >= this.t0 + this.frame * FRAME_MS) this.tick();
    if (this.isOver) return;
    this.timer = setTimeout(() => this.loop(), Math.max(0, this.t0 + this.frame * FRAME_MS - performance.now()));
  }

  private tick(): void {
    // Marks whose audio finished playing during the previous frame.
    for (const m of this.dueMarks) this.echoMark(m, false);
    this.dueMarks = [];
    while (this.playQueue[0]?.kind === 'mark') this.echoMark((this.playQueue.shift() as { rec: MarkRecord }).rec, false);

    const ms = this.nowMs();
    const callerFrame = this.takeCaller(ms);
    this.send({
      event: 'media',
      sequenceNumber: this.nextSeq(),
      streamSid: this.session.streamSid,
      media: { track: 'inbound', chunk: String(this.frame + 1), timestamp: String(ms), payload: callerFrame.toString('base64') },
    });
    this.session.framesSent++;

    const agentFrame = this.takeAgent();
    if (this.opts.record) {
      this.callerFrames.push(callerFrame);
      this.agentFrames.push(agentFrame);
    }
    for (const ev of this.decoder.feed(agentFrame)) this.onAgentSpeech(ev);
    this.frame++;
    for (const l of this.listeners) l.tick?.(this.nowMs());
  }

  private takeCaller(ms: number): Buffer {
    if (this.speakQueue.length === 0) return SILENT_FRAME;
    const out = Buffer.alloc(FRAME_BYTES, ULAW_SILENCE);
    let filled = 0;
    while (filled < FRAME_BYTES && this.speakQueue.length) {
      const it = this.speakQueue[0]!;
      if (it.buf === undefined) break;
      if (it.off === 0) {
        it.rec.startMs = ms + Math.round((filled * 1000) / 8000);
        it.rec.overAgent = this.playing;
        this.session.caller.push(it.rec);
      }
      const n = Math.min(FRAME_BYTES - filled, it.buf.length - it.off);
      it.buf.copy(out, filled, it.off, it.off + n);
      it.off += n;
      filled += n;
      if (it.off === it.buf.length) {
        this.speakQueue.shift();
        it.rec.endMs = ms + Math.round((filled * 1000) / 8000);
        it.done();
      }
    }
    return out;
  }

  private takeAgent(): Buffer {
    let filled = 0;
    let out: Buffer | undefined;
    while (filled < FRAME_BYTES && this.playQueue.length) {
      const it = this.playQueue[0]!;
      if (it.kind === 'mark') {
        // Its audio plays out within this frame; echoed at the next frame boundary.
        this.dueMarks.push(it.rec);
        this.playQueue.shift();
        continue;
      }
      out ??= Buffer.alloc(FRAME_BYTES, ULAW_SILENCE);
      const n = Math.min(FRAME_BYTES - filled, it.buf.length - it.off);
      it.buf.copy(out, filled, it.off, it.off + n);
      it.off += n;
      filled += n;
      if (it.off === it.buf.length) this.playQueue.shift();
    }
    this.playing = filled > 0;
    this.session.agentBytesPlayed += filled;
    return out ?? SILENT_FRAME;
  }

  private onAgentSpeech(ev: ReturnType<SpeechListener['feed']>[number]): void {
    if (ev.type === 'speechStart') {
      const u: AgentUtterance = { text: '', startMs: ev.offsetMs, interrupted: false };
      this.openAgent = u;
      this.session.agent.push(u);
      for (const l of this.listeners) l.agentStart?.(u);
      return;
    }
    const u = this.openAgent;
    if (!u) return;
    if (ev.type === 'partial') u.text = ev.text;
    else {
      u.text = ev.type === 'final' ? ev.text : u.text;
      u.endMs = ev.offsetMs + ev.durationMs;
      this.openAgent = undefined;
      for (const l of this.listeners) l.agentEnd?.(u);
    }
  }

  private finish(end: StreamEnd): void {
    if (this.isOver) return;
    this.session.end = end;
    clearTimeout(this.timer);
    // The callee heard the agent up to here: close any utterance in progress.
    for (const ev of this.decoder.flush()) this.onAgentSpeech(ev);
    for (const it of this.speakQueue.splice(0)) it.done();
    this.opts.log?.('media stream ended', { callSid: this.session.callSid, ...end });
    for (const l of this.listeners) l.end?.(end);
    this.resolveEnded();
  }
}
