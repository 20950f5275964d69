import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ChatMessage, ChatModel, SpeechToText, TextToSpeech, ToolSpec } from '../../providers/types';
import {
  mediaEndedSignal,
  outcomeSignal,
  transcriptSignal,
  usageSignal,
  type AgentConfig,
  type CallAgentView,
  isCallOver,
  type MediaEndReason,
  type TranscriptTurn,
} from '../../workflows/call/contract';
import { gatewayBargeIns, recordProviderError, turnLatency } from '../../lib/metrics';
import { AudioOut, type FrameSink } from '../stream/outbound';
import { CallGoneError, MediaRefusedError, type CallWorkflowPort } from '../signals/port';
import { SignalSender } from '../signals/sender';
import { AmdWatch, amdVerdict, type AmdVerdict } from './amd';
import { isBackchannel } from './backchannel';
import { phrasesFor, type Phrases } from './phrases';
import { Reply } from './reply';
import { Speaker, type MarkInfo } from './speaker';
import { toolSpecs } from './tools';
import { TtsWarmer } from './tts-warm';
import { UsageMeter } from './usage';
import { SttLink } from './stt-link';
import { VoiceActivity } from './vad';

/**
 * One call's conversation, from Twilio's `start` to the end of the stream (design: Media gateway
 * loop). Turn-taking: the caller's STT final ends their turn and starts a reply; caller speech
 * (voice activity plus a partial that is not a back-channel) or a keypress while a reply is in
 * flight interrupts it. Everything the workflow needs goes through the signal queue, never
 * awaited on the audio path.
 */

export interface GatewaySettings {
  segmentationSilenceMs: number;
  /** Caller voice (ms) the STT service may leave wholly unanswered before its session is replaced (conversation/stt-link.ts). */
  sttStallVoiceMs: number;
  firstTokenTimeoutMs: number;
  defaultSilenceTimeoutSec: number;
  dtmfDebounceMs: number;
  maxModelRounds: number;
  /** Voice within this window makes a partial transcript count as speech for barge-in. */
  bargeInVoiceWindowMs: number;
  /** Keep one TTS connection open ahead of the next reply (conversation/tts-warm.ts). */
  ttsPrewarm: boolean;
  /** leave_message calls only: how often the AMD verdict is asked of the workflow (conversation/amd.ts)… */
  amdPollMs: number;
  /** …and for how long at most (Twilio's own AMD gives up at 30 s, MachineDetectionTimeout). */
  amdPollCapMs: number;
}

export const DEFAULT_SETTINGS: GatewaySettings = {
  segmentationSilenceMs: 300,
  sttStallVoiceMs: 2_000,
  firstTokenTimeoutMs: 5_000,
  defaultSilenceTimeoutSec: 10,
  dtmfDebounceMs: 1_200,
  maxModelRounds: 3,
  bargeInVoiceWindowMs: 400,
  ttsPrewarm: true,
  amdPollMs: 750,
  amdPollCapMs: 40_000,
};

/** Ends the call on Twilio's side when the agent transfers it (providers/twilio). */
export interface CallTransfer {
  transfer(callSid: string, to: string): Promise<void>;
}

export interface SessionDeps {
  stt: SpeechToText;
  llm: ChatModel;
  tts: TextToSpeech;
  port: CallWorkflowPort;
  transfer?: CallTransfer;
  log: Logger;
  settings: GatewaySettings;
}

export interface SessionIo extends FrameSink {
  close(code: number, reason: string): void;
}

export class CallSession {
  private readonly log: Logger;
  private readonly signals: SignalSender;
  private readonly usage = new UsageMeter();
  private readonly vad = new VoiceActivity();
  private readonly out: AudioOut<MarkInfo>;
  private agent: AgentConfig | undefined;
  private phrases: Phrases = phrasesFor('en');
  private tools: ToolSpec[] = [];
  private readonly messages: ChatMessage[] = [];
  private stt: SttLink | undefined;
  private warmer: TtsWarmer | undefined;
  private reply: Reply | undefined;
  private seq = 0;
  private ending = false;
  private silenceTimer: NodeJS.Timeout | undefined;
  private silencePrompts = 0;
  private idleSince = 0;
  private lastActivity = 0;
  private dtmf = '';
  private dtmfTimer: NodeJS.Timeout | undefined;
  private lastDtmfAt = 0;
  /** leave_message call, AMD undecided: the greeting is held; the caller is transcribed, not answered. */
  private screening = false;
  /** The voicemail message is playing to a machine: nothing on the line interrupts it. */
  private leavingMessage = false;
  private amdWatch: AmdWatch | undefined;
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;
  /** Transcript times are ms since the stream started (transcript_turns.at_ms is a 32-bit integer). */
  private readonly startedAt = performance.now();
  /** This WebSocket's claim on the call: the same id on every retry, a new one on any other socket. */
  private readonly attachId = randomUUID();
  /**
   * How the attach ended: `held` (this stream carries the call), `refused`, or `unknown` (Temporal
   * not reached in time). Only a stream that may hold the call signals the workflow.
   */
  private readonly attached: Promise<'held' | 'refused' | 'unknown'>;
  private settleAttach!: (v: 'held' | 'refused' | 'unknown') => void;

  constructor(
    private readonly deps: SessionDeps,
    private readonly io: SessionIo,
    readonly callId: string,
    readonly streamSid: string,
    readonly callSid: string,
  ) {
    this.log = deps.log.child({ callId, callSid });
    this.out = new AudioOut<MarkInfo>(io, streamSid);
    this.signals = new SignalSender(deps.port, callId, {
      log: this.log,
      onGone: () => this.finish('error', 'call workflow is gone', { silent: true, closeReason: this.agent ? 'call over' : 'unknown call' }),
    });
    this.ended = new Promise((r) => (this.resolveEnded = r));
    this.attached = new Promise((r) => (this.settleAttach = r));
  }

  /** Resolves when the session has ended and its signals were delivered (or given up on). */
  get done(): Promise<void> {
    return this.ended;
  }

  /**
   * Claims the call for this stream (attachMedia: the workflow is the one authority on which stream
   * carries a call, across gateway instances), then greets. Nothing is metered before the claim:
   * no STT, LLM or TTS session exists until the workflow said yes.
   */
  async start(): Promise<void> {
    let view: CallAgentView;
    try {
      view = await this.deps.port.attachMedia(this.callId, { streamSid: this.streamSid, callSid: this.callSid, attachId: this.attachId, at: new Date().toISOString() });
    } catch (err) {
      if (err instanceof CallGoneError) {
        this.settleAttach('refused');
        return this.finish('error', err.message, { silent: true, closeReason: 'unknown call' });
      }
      if (err instanceof MediaRefusedError) {
        this.settleAttach('refused');
        if (err.refusal !== 'call over') this.log.warn({ streamSid: this.streamSid, reason: err.message }, 'media stream refused by the call workflow');
        // A call that is over ends normally (1000), as before; a second or foreign stream is a policy violation.
        return this.finish('error', err.message, { silent: true, closeReason: err.refusal, closeCode: err.refusal === 'call over' ? 1000 : 1008 });
      }
      // Whether the claim was taken is unknown: the final mediaEnded names this stream, and the
      // workflow keeps it only if this stream does hold the call (then it hangs up, as it should).
      this.settleAttach('unknown');
      this.log.error({ err: (err as Error).message }, 'could not attach the media stream to the call');
      return this.finish('error', `agent unavailable: ${(err as Error).message}`, { closeReason: 'agent unavailable' });
    }
    this.settleAttach('held');
    if (this.ending) return;
    if (isCallOver(view.status)) {
      return this.finish('error', `call is ${view.status}`, { silent: true, closeReason: 'call over' });
    }
    const agent = view.agent;
    this.agent = agent;
    this.log.info({ campaignId: view.campaignId, language: agent.language }, 'media stream started');
    this.phrases = phrasesFor(agent.language);
    this.tools = toolSpecs(agent);
    this.messages.push({ role: 'system', content: systemPrompt(agent) });
    if (this.deps.settings.ttsPrewarm) this.warmer = new TtsWarmer(this.deps.tts, { voiceId: agent.voiceId, model: agent.ttsModel });
    this.idleSince = performance.now();
    // The greeting does not wait for STT: the caller hears the agent as soon as TTS answers.
    this.startStt();
    // Only leave_message calls wait for AMD: a hangup-policy call is hung up by its workflow on a
    // machine verdict, so its gateway greets at once and never polls.
    const verdict = view.voicemailPolicy === 'leave_message' ? amdVerdict(view.answeredBy) : 'human';
    if (verdict === 'undecided') return this.screen();
    this.onAmd(verdict, view.answeredBy);
  }

  // ---- answering machines (leave_message calls) ------------------------------------------------

  /**
   * Holds the greeting until AMD decides (design choice: a machine's greeting is never talked over,
   * and nothing is spent on TTS or the model for it; a person who answers waits for Twilio's human
   * verdict, which comes after their "hello" and ~1.2 s of silence, or `unknown` after 5 s of it).
   * What is said meanwhile is transcribed and kept for the model, not answered.
   */
  private screen() {
    this.screening = true;
    this.log.info('leave_message call: greeting held until AMD decides');
    // The first thing said (greeting or message) gets a ready TTS connection.
    this.warmer?.warm();
    const s = this.deps.settings;
    this.amdWatch = new AmdWatch({
      port: this.deps.port,
      callId: this.callId,
      log: this.log,
      pollMs: s.amdPollMs,
      capMs: s.amdPollCapMs,
      // No verdict by the cap (a lost AMD callback): a machine already seen gets the message, anyone
      // else the greeting, since a person must not be left in silence.
      onVerdict: (v, by) => this.onAmd(v !== 'undecided' ? v : by === 'machine_start' ? 'machine' : 'human', by),
      onOver: (why, gone) => this.finish('error', why, { silent: gone, closeReason: 'call over' }),
    });
  }

  private onAmd(verdict: Exclude<AmdVerdict, 'undecided'>, answeredBy: string | undefined) {
    if (this.ending) return;
    this.screening = false;
    this.amdWatch?.stop();
    if (verdict === 'human') return this.greet();
    if (verdict === 'fax') return this.finish('end_call', `${answeredBy}: no message left`, { closeReason: 'fax' });
    this.leaveMessage(answeredBy);
  }

  private greet() {
    const agent = this.agent!;
    this.messages.push({ role: 'assistant', content: agent.firstMessage });
    this.speakFixed(agent.firstMessage);
    this.warmer?.warm();
  }

  /** The machine's greeting is over and it records (machine_end_*): say the message once, then end. */
  private leaveMessage(answeredBy: string | undefined) {
    // Anything still playing was meant for a person; the recording gets the message alone.
    if (this.reply) this.interrupt('machine');
    clearTimeout(this.dtmfTimer);
    this.dtmf = '';
    const text = this.agent!.voicemailMessage?.trim();
    if (!text) return this.finish('end_call', `${answeredBy}: no voicemailMessage configured`, { closeReason: 'end_call' });
    this.leavingMessage = true;
    this.log.info({ answeredBy }, 'leaving the voicemail message');
    this.speakFixed(text, () => this.finish('voicemail_left', undefined, { closeReason: 'voicemail_left' }));
  }

  // ---- inbound events --------------------------------------------------------------------------

  audio(ulaw: Buffer) {
    if (this.ending) return;
    const now = performance.now();
    const voiced = this.vad.feed(ulaw, now);
    // The caller talking means a reply is coming: make sure a TTS connection is ready for it.
    if (voiced && this.warmer?.needed(now)) this.warmer.warm(now);
    this.stt?.write(ulaw, { now, voiced, lastVoiceAt: this.vad.lastVoiceAt, agentBusy: !!this.reply });
  }

  dtmfDigit(digit: string) {
    if (this.ending || !this.agent || this.leavingMessage) return;
    this.lastActivity = this.lastDtmfAt = performance.now();
    this.silencePrompts = 0;
    // A keypress is the caller taking the turn: it interrupts the agent like speech does.
    if (this.reply) this.interrupt('dtmf');
    this.dtmf += digit;
    clearTimeout(this.dtmfTimer);
    if (digit === '#') this.flushDtmf();
    else this.dtmfTimer = setTimeout(() => this.flushDtmf(), this.deps.settings.dtmfDebounceMs);
  }

  mark(name: string) {
    const info = this.out.confirm(name);
    info?.speaker.confirm(info);
  }

  /** Twilio's `stop`: the call ended on its side. */
  stop() {
    this.finish('caller_hangup', undefined, { closeReason: 'stopped' });
  }

  /** The socket closed under us (without `stop`). */
  socketClosed(code: number) {
    if (!this.ending) this.finish('stream_closed', `socket closed (${code})`, { socketGone: true });
  }

  /** Malformed input on this stream: the call cannot continue. */
  protocolError(reason: string) {
    this.finish('error', `malformed media stream: ${reason}`, { closeReason: reason, closeCode: 1008 });
  }

  /** Gateway shutdown. */
  shutdown() {
    this.finish('error', 'media gateway shutting down', { closeReason: 'gateway shutting down', closeCode: 1001 });
  }

  // ---- STT -------------------------------------------------------------------------------------

  private startStt() {
    const settings = this.deps.settings;
    this.stt = new SttLink({
      stt: this.deps.stt,
      usage: this.usage,
      log: this.log,
      language: this.agent!.language,
      segmentationSilenceMs: settings.segmentationSilenceMs,
      stallVoiceMs: settings.sttStallVoiceMs,
      onPartial: (text) => this.onPartial(text),
      onFinal: (text) => this.onFinal(text),
      onFatal: (err) => this.failAndEnd('azure', err.message),
    });
    this.stt.start();
  }

  private onPartial(text: string) {
    if (this.ending || this.leavingMessage) return;
    this.lastActivity = performance.now();
    this.silencePrompts = 0;
    if (!this.reply || isBackchannel(text)) return;
    if (!this.vad.voicedWithin(this.deps.settings.bargeInVoiceWindowMs, performance.now())) return;
    this.interrupt('speech');
  }

  private onFinal(text: string) {
    // A machine recording the message has nothing to say; line noise must not cut the message.
    if (this.ending || !this.agent || this.leavingMessage) return;
    const now = performance.now();
    this.lastActivity = now;
    this.silencePrompts = 0;
    const endOfSpeech = this.vad.lastVoiceAt > now - 5_000 ? this.vad.lastVoiceAt : now - this.deps.settings.segmentationSilenceMs;
    if (this.reply) {
      if (isBackchannel(text) && this.reply.speaker.audioSent) {
        this.turn('caller', text);
        return;
      }
      this.interrupt('speech');
    }
    this.callerTurn(text, endOfSpeech, now);
  }

  private flushDtmf() {
    clearTimeout(this.dtmfTimer);
    const digits = this.dtmf;
    this.dtmf = '';
    if (!digits || this.ending) return;
    this.callerTurn(`[keypad] ${digits}`, this.lastDtmfAt, performance.now());
  }

  // ---- turns -----------------------------------------------------------------------------------

  private turn(role: TranscriptTurn['role'], text: string, extra: Partial<TranscriptTurn> = {}): number {
    const seq = ++this.seq;
    this.signals.send(transcriptSignal, { seq, role, text, atMs: this.sinceStart(), ...extra });
    return seq;
  }

  private sinceStart(at = performance.now()): number {
    return Math.round(at - this.startedAt);
  }

  private callerTurn(text: string, endOfSpeech: number, sttFinal: number) {
    this.turn('caller', text);
    this.messages.push({ role: 'user', content: text });
    // Screening: a machine's greeting (or a person's "hello?") is kept, not answered; AMD decides who speaks.
    if (this.screening) return;
    const reply = this.newReply('llm');
    reply.stamps.endOfSpeech = endOfSpeech;
    reply.stamps.sttFinal = sttFinal;
    void reply
      .runModel({
        llm: this.deps.llm,
        agent: this.agent!,
        tools: this.tools,
        messages: this.messages,
        usage: this.usage,
        log: this.log,
        goodbyePhrase: this.phrases.goodbye,
        firstTokenTimeoutMs: this.deps.settings.firstTokenTimeoutMs,
        maxRounds: this.deps.settings.maxModelRounds,
        onOutcome: (o) => this.signals.send(outcomeSignal, o),
      })
      .catch((err) => {
        reply.failure ??= { vendor: 'gateway', message: (err as Error).message };
        reply.speaker.end();
      });
  }

  private speakFixed(text: string, after?: () => void): Reply {
    const reply = this.newReply('fixed', after);
    reply.sayFixed(text);
    return reply;
  }

  private newReply(kind: 'llm' | 'fixed', after?: () => void): Reply {
    this.cancelSilenceTimer();
    const abort = new AbortController();
    let reply!: Reply;
    const speaker = new Speaker({
      tts: this.deps.tts,
      voiceId: this.agent!.voiceId,
      model: this.agent!.ttsModel,
      out: this.out,
      usage: this.usage,
      log: this.log,
      signal: abort.signal,
      onFirstByte: () => (reply.stamps.ttsFirstByte = performance.now()),
      onFirstFrame: () => {
        reply.stamps.firstFrame = performance.now();
        reply.agentSeq = ++this.seq; // the agent's turn takes its place when the caller starts hearing it
      },
      onPlayed: () => this.replyPlayed(reply, after),
      takeWarm: this.warmer
        ? (signal) => {
            const s = this.warmer!.take(signal);
            this.warmer!.warm();
            return s;
          }
        : undefined,
    });
    reply = new Reply(speaker, abort, kind);
    this.reply = reply;
    speaker.sent.then(
      () => {
        if (this.reply === reply && reply.failure) this.failAndEnd(reply.failure.vendor, reply.failure.message, reply);
      },
      (err: Error) => {
        if (this.reply === reply) this.failAndEnd('elevenlabs', err.message, reply);
      },
    );
    return reply;
  }

  private agentTurn(reply: Reply, text: string, interrupted: boolean) {
    const seq = reply.agentSeq;
    if (seq === undefined) return;
    const latency = reply.latency();
    this.signals.send(transcriptSignal, { seq, role: 'agent', text, atMs: this.sinceStart(reply.stamps.firstFrame), ...(interrupted ? { interrupted: true } : {}), ...(latency ? { latency } : {}) });
    if (latency && !interrupted) observeLatency(reply);
  }

  private replyPlayed(reply: Reply, after?: () => void) {
    if (this.reply !== reply || this.ending) return;
    this.reply = undefined;
    reply.speaker.dispose();
    this.agentTurn(reply, reply.speaker.fullText(), false);
    this.signals.send(usageSignal, this.usage.snapshot());
    if (reply.failure) return this.failAndEnd(reply.failure.vendor, reply.failure.message);
    if (after) return after();
    if (reply.endAfter?.kind === 'end_call') return this.finish('end_call', undefined, { closeReason: 'end_call' });
    if (reply.endAfter?.kind === 'transfer') return void this.doTransfer(reply.endAfter.to);
    this.armSilenceTimer();
  }

  /** Caller speech or a keypress while a reply is in flight (or a machine verdict): stop it where the caller stopped hearing it. */
  private interrupt(why: 'speech' | 'dtmf' | 'machine') {
    const reply = this.reply;
    if (!reply) return;
    this.reply = undefined;
    const audible = reply.speaker.audioSent;
    if (audible) this.out.clear();
    reply.abort.abort();
    reply.speaker.dispose();
    if (audible) {
      if (why !== 'machine') gatewayBargeIns.inc();
      const heard = reply.speaker.spokenText();
      this.agentTurn(reply, heard, true);
      if (reply.kind === 'llm') reply.truncateHistory(this.messages);
      this.log.debug({ why, heard: heard.length }, 'barge-in');
    }
  }

  private armSilenceTimer() {
    this.cancelSilenceTimer();
    this.idleSince = performance.now();
    const timeoutMs = (this.agent?.silenceTimeoutSec ?? this.deps.settings.defaultSilenceTimeoutSec) * 1000;
    const check = () => {
      if (this.ending || this.reply) return;
      const now = performance.now();
      const last = Math.max(this.idleSince, this.lastActivity, this.vad.lastVoiceAt);
      if (now - last < timeoutMs) {
        this.silenceTimer = setTimeout(check, timeoutMs - (now - last) + 5);
        return;
      }
      this.silencePrompts++;
      if (this.silencePrompts === 1) {
        this.messages.push({ role: 'assistant', content: this.phrases.reprompt });
        this.speakFixed(this.phrases.reprompt);
      } else {
        this.speakFixed(this.phrases.silenceGoodbye, () => this.finish('silence_timeout', undefined, { closeReason: 'silence_timeout' }));
      }
    };
    this.silenceTimer = setTimeout(check, timeoutMs);
  }

  private cancelSilenceTimer() {
    clearTimeout(this.silenceTimer);
    this.silenceTimer = undefined;
  }

  private async doTransfer(to: string) {
    if (!this.deps.transfer) return this.finish('error', 'transfer requested but no telephony is configured', { closeReason: 'error' });
    try {
      await this.deps.transfer.transfer(this.callSid, to);
      this.finish('transfer', undefined, { closeReason: 'transfer', keepSocket: true });
    } catch (err) {
      recordProviderError('twilio', (err as { code?: string | number }).code);
      this.log.error({ err: (err as Error).message }, 'transfer failed');
      this.failAndEnd('twilio', `transfer failed: ${(err as Error).message}`);
    }
  }

  /** A vendor failure the conversation cannot recover from: apologise (if TTS still works), then end. */
  private failAndEnd(vendor: string, message: string, failed?: Reply) {
    if (this.ending) return;
    this.log.error({ vendor, err: message }, 'ending the call after a vendor failure');
    if (failed && this.reply === failed) {
      this.reply = undefined;
      if (failed.speaker.audioSent) {
        // Keep what was already said; the apology follows it.
        this.agentTurn(failed, failed.speaker.fullText(), false);
      }
    } else if (this.reply) this.interrupt('speech');
    if (vendor === 'elevenlabs') return this.finish('error', `${vendor}: ${message}`, { closeReason: 'error' });
    const apology = this.speakFixed(this.phrases.apology, () => this.finish('error', `${vendor}: ${message}`, { closeReason: 'error' }));
    apology.speaker.sent.catch(() => this.finish('error', `${vendor}: ${message}`, { closeReason: 'error' }));
  }

  // ---- the end ---------------------------------------------------------------------------------

  /**
   * Ends the conversation once: stops audio and vendors, sends the final usage and then
   * mediaEnded (the workflow bills usage received before mediaEnded), and closes the stream.
   */
  finish(reason: MediaEndReason, detail: string | undefined, opts: { silent?: boolean; closeReason?: string; closeCode?: number; socketGone?: boolean; keepSocket?: boolean } = {}) {
    if (this.ending) return;
    this.ending = true;
    this.amdWatch?.stop();
    this.cancelSilenceTimer();
    clearTimeout(this.dtmfTimer);
    this.warmer?.discard();
    this.warmer = undefined;
    if (this.reply) {
      this.reply.abort.abort();
      this.reply.speaker.dispose();
      this.reply = undefined;
    }
    const stt = this.stt;
    this.stt = undefined;
    if (!opts.socketGone && !opts.keepSocket) this.io.close(opts.closeCode ?? 1000, opts.closeReason ?? reason);
    this.log.info({ reason, detail }, 'media stream ended');
    void (async () => {
      // Azure bills audio sent; the session's meter is final once it is closed.
      if (stt) await stt.close();
      // Ended while the attach was in flight (a stop, a closed socket): signal only if it was not refused.
      if (!opts.silent && (await this.attached) !== 'refused') {
        this.signals.send(usageSignal, this.usage.snapshot());
        this.signals.send(mediaEndedSignal, { reason, ...(detail ? { detail: detail.slice(0, 500) } : {}), at: new Date().toISOString(), streamSid: this.streamSid });
      }
      await this.signals.flushed();
      this.resolveEnded();
    })();
  }

  get endReasonPending(): boolean {
    return this.ending;
  }

  /** Usage so far (tests, shutdown). */
  usageSnapshot() {
    return this.usage.snapshot();
  }
}

function systemPrompt(agent: AgentConfig): string {
  return [
    agent.systemPrompt.trim(),
    '',
    `You are speaking on a phone call, in ${agent.language}. Keep replies short and spoken: no lists, no markdown, no emoji.`,
    'Keypad presses from the person arrive as "[keypad] <digits>".',
    'When the conversation is over, use end_call. Record the result with record_outcome as soon as you know it.',
  ].join('\n');
}

function observeLatency(reply: Reply) {
  const s = reply.stamps;
  if (s.endOfSpeech === undefined) return;
  const sec = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.max(0, (b - a) / 1000));
  const put = (h: { observe(v: number): void }, v: number | undefined) => v !== undefined && h.observe(v);
  put(turnLatency.sttFinal, sec(s.endOfSpeech, s.sttFinal));
  put(turnLatency.llmFirstToken, sec(s.sttFinal, s.llmFirstToken));
  put(turnLatency.firstClause, sec(s.endOfSpeech, s.firstClause));
  put(turnLatency.ttsFirstByte, sec(s.firstClauseSent, s.ttsFirstByte));
  put(turnLatency.voiceToVoice, sec(s.endOfSpeech, s.firstFrame));
}
