import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { cleanText } from '../../lib/text/clean';
import {
  mediaEndedSignal,
  usageSignal,
  isCallOver,
  type CallAgentView,
  type MediaEndReason,
} from '../../workflows/call/contract';
import { AudioOut } from '../stream/outbound';
import { CallGoneError, MediaRefusedError } from '../signals/port';
import { SignalSender } from '../signals/sender';
import { Listeners, type AgentState, type ConversationEvent, type Transition } from './events';
import { Conversation, type EndOptions } from './machine';
import type { SessionDeps, SessionIo } from './settings';
import type { MarkInfo } from './speaker';
import { SttLink } from './stt-link';
import { MAX_TURN_CHARS, TurnLog } from './transcript';
import { UsageMeter } from './usage';
import { VoiceActivity } from './vad';

export { DEFAULT_SETTINGS, type CallTransfer, type GatewaySettings, type SessionDeps, type SessionIo } from './settings';

/**
 * One call's media stream, from Twilio's `start` to its end (design: Media gateway loop): claims
 * the call (attachMedia), then turns what arrives — caller audio, keys, marks, the end of the
 * stream — into the conversation's events (machine.ts), and ends the stream once. Caller audio
 * itself stays off the event path: each frame goes to the voice detector and STT directly, and
 * only the voice's start and stop become events.
 */

/** Unvoiced time after which the caller's voice counts as stopped (an event, not the end of a turn: STT decides that). */
const SPEECH_GAP_MS = 200;

export class CallSession {
  private readonly log: Logger;
  private readonly signals: SignalSender;
  private readonly usage = new UsageMeter();
  private readonly vad = new VoiceActivity();
  private readonly out: AudioOut<MarkInfo>;
  private readonly turns: TurnLog;
  private conversation: Conversation | undefined;
  private stt: SttLink | undefined;
  private inSpeech = false;
  private ending = false;
  /** Every event and the state it moved the conversation from and to (tests, metrics, the recorder). */
  readonly transitions = new Listeners<Transition>();
  private readonly ended: Promise<void>;
  private resolveEnded!: () => void;
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
      onGone: () =>
        this.finish('error', 'call workflow is gone', {
          silent: true,
          closeReason: this.conversation ? 'call over' : 'unknown call',
        }),
    });
    this.turns = new TurnLog(this.signals, performance.now());
    this.ended = new Promise((r) => (this.resolveEnded = r));
    this.attached = new Promise((r) => (this.settleAttach = r));
  }

  /** Resolves when the session has ended and its signals were delivered (or given up on). */
  get done(): Promise<void> {
    return this.ended;
  }

  /** The conversation's state (`attaching` until the workflow answered). */
  get state(): AgentState {
    return this.conversation?.state ?? (this.ending ? 'ended' : 'attaching');
  }

  /**
   * Claims the call for this stream (attachMedia: the workflow is the one authority on which stream
   * carries a call, across gateway instances), then starts the conversation. Nothing is metered
   * before the claim: no STT, LLM or TTS session exists until the workflow said yes.
   */
  async start(): Promise<void> {
    let view: CallAgentView;
    try {
      view = await this.deps.port.attachMedia(this.callId, {
        streamSid: this.streamSid,
        callSid: this.callSid,
        attachId: this.attachId,
        at: new Date().toISOString(),
      });
    } catch (err) {
      if (err instanceof CallGoneError) {
        this.settleAttach('refused');
        return this.finish('error', err.message, { silent: true, closeReason: 'unknown call' });
      }
      if (err instanceof MediaRefusedError) {
        this.settleAttach('refused');
        if (err.refusal !== 'call over')
          this.log.warn({ streamSid: this.streamSid, reason: err.message }, 'media stream refused by the call workflow');
        // A call that is over ends normally (1000), as before; a second or foreign stream is a policy violation.
        return this.finish('error', err.message, {
          silent: true,
          closeReason: err.refusal,
          closeCode: err.refusal === 'call over' ? 1000 : 1008,
        });
      }
      // Whether the claim was taken is unknown: the final mediaEnded names this stream, and the
      // workflow keeps it only if this stream does hold the call (then it hangs up, as it should).
      this.settleAttach('unknown');
      this.log.error({ err: (err as Error).message }, 'could not attach the media stream to the call');
      return this.finish('error', `agent unavailable: ${(err as Error).message}`, { closeReason: 'agent unavailable' });
    }
    this.settleAttach('held');
    // Race: the stream stopped (or its socket closed) while the attach was in flight.
    if (this.ending) return;
    if (isCallOver(view.status))
      return this.finish('error', `call is ${view.status}`, { silent: true, closeReason: 'call over' });
    const agent = view.agent;
    this.log.info({ campaignId: view.campaignId, language: agent.language }, 'media stream started');
    this.conversation = new Conversation({
      deps: this.deps,
      agent,
      callId: this.callId,
      callSid: this.callSid,
      log: this.log,
      signals: this.signals,
      usage: this.usage,
      vad: this.vad,
      out: this.out,
      turns: this.turns,
      transitions: this.transitions,
      end: (reason, detail, opts) => this.finish(reason, detail, opts),
    });
    // The greeting does not wait for STT: the caller hears the agent as soon as TTS answers.
    this.startStt(agent.language);
    this.dispatch({ type: 'attached', view });
  }

  private dispatch(ev: ConversationEvent) {
    this.conversation?.dispatch(ev);
  }

  // ---- inbound ---------------------------------------------------------------------------------

  audio(ulaw: Buffer) {
    if (this.ending) return;
    const now = performance.now();
    const voiced = this.vad.feed(ulaw, now);
    if (voiced !== this.inSpeech && (voiced || now - this.vad.lastVoiceAt >= SPEECH_GAP_MS)) {
      this.inSpeech = voiced;
      this.dispatch({ type: voiced ? 'speechStarted' : 'speechStopped' });
    }
    this.stt?.write(ulaw, { now, voiced, lastVoiceAt: this.vad.lastVoiceAt, agentBusy: this.conversation?.replying ?? false });
  }

  dtmfDigit(digit: string) {
    if (!this.ending) this.dispatch({ type: 'dtmf', digit });
  }

  mark(name: string) {
    this.dispatch({ type: 'markConfirmed', name });
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

  private startStt(language: string) {
    const settings = this.deps.settings;
    this.stt = new SttLink({
      stt: this.deps.stt,
      usage: this.usage,
      log: this.log,
      language,
      segmentationSilenceMs: settings.segmentationSilenceMs,
      stallVoiceMs: settings.sttStallVoiceMs,
      // Vendor text: cleaned before anything reads it (it reaches the model, the transcript, the logs).
      onPartial: (text) => this.dispatch({ type: 'partial', text: cleanText(text, MAX_TURN_CHARS) }),
      onFinal: (text) => this.dispatch({ type: 'final', text: cleanText(text, MAX_TURN_CHARS) }),
      onFatal: (err) => this.dispatch({ type: 'sttFailed', message: err.message }),
    });
    this.stt.start();
  }

  // ---- the end ---------------------------------------------------------------------------------

  /**
   * Ends the stream once: the conversation stops (saving agent speech cut off by the end as an
   * interrupted turn), then the final usage and mediaEnded go (the workflow bills usage received
   * before mediaEnded), and the stream closes.
   */
  finish(reason: MediaEndReason, detail: string | undefined, opts: EndOptions = {}) {
    if (this.ending) return;
    this.ending = true;
    this.dispatch({ type: 'stop', reason });
    const stt = this.stt;
    this.stt = undefined;
    if (!opts.socketGone && !opts.keepSocket) this.io.close(opts.closeCode ?? 1000, opts.closeReason ?? reason);
    this.log.info({ reason, detail }, 'media stream ended');
    const conversation = this.conversation;
    void (async () => {
      // Azure bills audio sent; the session's meter is final once it is closed. A model stream the
      // end aborted adds its streamed tokens as it unwinds.
      await Promise.all([stt?.close(), conversation?.modelSettled()]);
      // Ended while the attach was in flight (a stop, a closed socket): signal only if it was not refused.
      if (!opts.silent && (await this.attached) !== 'refused') {
        this.signals.send(usageSignal, this.usage.snapshot());
        this.signals.send(mediaEndedSignal, {
          reason,
          ...(detail ? { detail: cleanText(detail, 500) } : {}),
          at: new Date().toISOString(),
          streamSid: this.streamSid,
        });
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
