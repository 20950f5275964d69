import type { ChatMessage, ToolSpec } from '../../providers/types';
import { gatewayBargeIns } from '../../lib/metrics';
import { OPT_OUT_OUTCOME, outcomeSignal, usageSignal } from '../../workflows/call/contract';
import type { AmdWatch } from './amd';
import { PendingRuns, type ConversationDeps } from './context';
import { screenForMachine, verdictAtStart } from './controllers/answering-machine';
import { finalWhileReplying, partialInterrupts } from './controllers/barge-in';
import { cutOff, transferCall } from './controllers/end-of-call';
import { KeypadController } from './controllers/keypad';
import { asksNotToBeCalled, isOptOutKey, OptOutRecord } from './controllers/opt-out';
import { SilenceController } from './controllers/silence';
import { RunToCompletion, type AgentState, type ConversationEvent } from './events';
import { phrasesFor, type Phrases } from './phrases';
import { systemPrompt } from './prompt';
import type { Reply } from './reply';
import { toolSpecs, type ToolDecision } from './tools';
import { AgentVoice } from './voice';

export type { ConversationDeps, EndOptions } from './context';

/**
 * One call's turn-taking as a state machine (design: Media gateway loop). Every input arrives as a
 * ConversationEvent at `dispatch`, runs to completion, and `step` is the one place the state
 * changes, each race written beside the guard that handles it. One concern per controller
 * (controllers/): silence, barge-in, keypad, answering machine, opt-out, end of call; ending the
 * stream is the session's (`end`, which dispatches `stop` back here).
 */

type Interruption = 'speech' | 'dtmf' | 'machine' | 'failure';

export class Conversation {
  private current: AgentState = 'attaching';
  /** The utterance in flight (greeting, reply, message, last words); undefined while listening. */
  private reply: Reply | undefined;
  private readonly optOuts: OptOutRecord;
  private readonly messages: ChatMessage[] = [];
  private readonly tools: ToolSpec[];
  private readonly phrases: Phrases;
  private readonly voice: AgentVoice;
  readonly silence: SilenceController;
  private readonly keypad: KeypadController;
  private amdWatch: AmdWatch | undefined;
  /** Events raised while one is handled (a mark that completes playback, the end from inside a handler) wait their turn. */
  private readonly events = new RunToCompletion<ConversationEvent>((ev) => this.handle(ev));
  private readonly modelRuns = new PendingRuns();

  constructor(private readonly c: ConversationDeps) {
    const { agent, deps } = c;
    this.phrases = phrasesFor(agent.language);
    this.tools = toolSpecs(agent);
    this.messages.push({ role: 'system', content: systemPrompt(agent, deps.settings.optOutDigit) });
    this.voice = new AgentVoice({
      tts: deps.tts,
      agent,
      out: c.out,
      usage: c.usage,
      log: c.log,
      turns: c.turns,
      prewarm: deps.settings.ttsPrewarm,
      dispatch: (ev) => this.dispatch(ev),
    });
    const timeoutMs = (agent.silenceTimeoutSec ?? deps.settings.defaultSilenceTimeoutSec) * 1000;
    this.silence = new SilenceController(
      timeoutMs,
      () => c.vad.lastVoiceAt,
      () => this.dispatch({ type: 'silenceTimeout' }),
    );
    this.keypad = new KeypadController(deps.settings.dtmfDebounceMs, (digits) => this.dispatch({ type: 'keypad', digits }));
    this.optOuts = new OptOutRecord((o) => c.signals.send(outcomeSignal, o), c.log);
  }

  get state(): AgentState {
    return this.current;
  }

  /** A reply is in flight (thinking or speaking): caller speech may interrupt it (STT pacing sends it at once). */
  get replying(): boolean {
    return this.reply !== undefined;
  }

  dispatch(ev: ConversationEvent) {
    this.events.push(ev);
  }

  private handle(ev: ConversationEvent) {
    const from = this.current;
    // Race: whatever arrives after the end — a mark echoed late, a final from the closing STT
    // session, a token or a TTS byte of an aborted reply, a timer already queued — is dropped.
    if (from === 'ended') return;
    try {
      this.step(ev);
      if (this.c.transitions.size) this.c.transitions.emit({ event: ev, from, to: this.current });
    } catch (err) {
      // A bug must end this call cleanly (usage, mediaEnded), never leave it half-handled.
      this.c.log.error({ err: (err as Error).message, event: ev.type, state: from }, 'conversation step failed');
      this.c.end('error', `internal error: ${(err as Error).message}`, { closeReason: 'error' });
    }
  }

  private step(ev: ConversationEvent): void {
    switch (ev.type) {
      case 'attached': {
        // Only leave_message calls wait for AMD; anyone else is greeted at once.
        const verdict = verdictAtStart(ev.view);
        if (verdict !== 'undecided') return this.step({ type: 'amd', verdict, answeredBy: ev.view.answeredBy });
        return this.screen();
      }
      case 'amd':
        // Race: the cap and a poll's answer can both decide; the second finds the greeting (or the message) under way.
        if (this.current !== 'attaching' && this.current !== 'screening') return;
        this.amdWatch?.stop();
        if (ev.verdict === 'human') return this.greet();
        if (ev.verdict === 'fax') return this.c.end('end_call', `${ev.answeredBy}: no message left`, { closeReason: 'fax' });
        return this.leaveMessage(ev.answeredBy);
      case 'speechStarted':
      case 'speechStopped':
        // Voice alone postpones the silence timer (it reads the detector) but does not reset its
        // count: a noisy line must not re-prompt for ever. The caller talking means a reply is
        // coming: make sure a TTS connection is ready for it.
        return this.voice.warm();
      case 'partial':
        return this.onPartial(ev.text);
      case 'final':
        return this.onFinal(ev.text);
      case 'dtmf':
        // A machine recording the message, or the last words: keys change nothing.
        if (this.current === 'leavingMessage' || this.current === 'ending') return;
        this.silence.activity();
        // A keypress is the caller taking the turn: it interrupts the agent like speech does.
        if (this.interruptible()) this.interrupt('dtmf');
        return this.keypad.press(ev.digit);
      case 'keypad': {
        // Race: an entry completed by the debounce timer just as the message or the last words began.
        if (this.current === 'leavingMessage' || this.current === 'ending') return;
        const text = `[keypad] ${ev.digits}`;
        if (isOptOutKey(ev.digits, this.c.deps.settings.optOutDigit)) {
          this.c.turns.caller(text);
          return this.optOut(`opt-out key pressed (${ev.digits})`);
        }
        return this.callerTurn(text, this.keypad.lastKeyAt, performance.now());
      }
      case 'markConfirmed': {
        // Marks echoed after a clear were forgotten by `out` (AudioOut.clear): they confirm nothing.
        const info = this.c.out.confirm(ev.name);
        return info?.speaker.confirm(info);
      }
      case 'modelToken':
        return;
      case 'toolCall':
        return this.onTool(ev.reply, ev.decision);
      case 'ttsAudio':
        // Race: a reply replaced before its first frame went out is no longer the one speaking.
        if (ev.reply === this.reply && this.current === 'thinking') this.to('speaking');
        return;
      case 'played':
        return this.onPlayed(ev.reply);
      case 'replyFailed':
        // Race: a reply interrupted before it failed is nobody's concern any more.
        if (ev.reply !== this.reply) return;
        return this.fail(ev.vendor, ev.message, ev.reply);
      case 'sttFailed':
        return this.fail('azure', ev.message);
      case 'silenceTimeout':
        // Race: the timer fired as a final or a key started a reply: only a listening agent re-prompts.
        if (this.current !== 'listening') return;
        if (this.silence.prompts <= 1) {
          this.messages.push({ role: 'assistant', content: this.phrases.reprompt });
          return this.speak(this.voice.fixed(this.phrases.reprompt), 'speaking');
        }
        // Still interruptible: a caller who speaks up over the goodbye keeps the call.
        return this.speak(this.voice.fixed(this.phrases.silenceGoodbye, { kind: 'end', reason: 'silence_timeout' }), 'speaking');
      case 'transferred':
        return this.c.end('transfer', undefined, { closeReason: 'transfer', keepSocket: true });
      case 'transferFailed':
        return this.fail('twilio', `transfer failed: ${ev.message}`);
      case 'stop':
        return this.stop();
    }
  }

  private to(state: AgentState) {
    this.current = state;
    // Listening always has a silence timer (after a reply played, and after a barge-in whose words never became a transcript).
    if (state === 'listening') this.silence.arm();
    else this.silence.cancel();
  }

  private interruptible(): boolean {
    return (
      this.reply !== undefined && (this.current === 'greeting' || this.current === 'thinking' || this.current === 'speaking')
    );
  }

  private speak(reply: Reply, state: AgentState) {
    this.reply = reply;
    this.to(state);
  }

  // ---- answering machines ----------------------------------------------------------------------

  /**
   * leave_message call, AMD undecided: the greeting is held (a machine's greeting is never talked
   * over, and nothing is spent on it); what is said meanwhile is transcribed, not answered.
   */
  private screen() {
    this.to('screening');
    this.c.log.info('leave_message call: greeting held until AMD decides');
    this.voice.warm(); // the first thing said (greeting or message) gets a ready TTS connection
    const s = this.c.deps.settings;
    this.amdWatch = screenForMachine({
      port: this.c.deps.port,
      callId: this.c.callId,
      log: this.c.log,
      pollMs: s.amdPollMs,
      capMs: s.amdPollCapMs,
      onVerdict: (verdict, answeredBy) => this.dispatch({ type: 'amd', verdict, answeredBy }),
      onOver: (why, gone) => this.c.end('error', why, { silent: gone, closeReason: 'call over' }),
    });
  }

  private greet() {
    const first = this.c.agent.firstMessage;
    this.messages.push({ role: 'assistant', content: first });
    this.speak(this.voice.fixed(first), 'greeting');
    this.voice.warm();
  }

  /** The machine's greeting is over and it records (machine_end_*): say the message once, then end. */
  private leaveMessage(answeredBy: string | undefined) {
    // Anything still playing was meant for a person; the recording gets the message alone.
    if (this.reply) this.interrupt('machine');
    this.keypad.reset();
    const text = this.c.agent.voicemailMessage?.trim();
    if (!text) return this.c.end('end_call', `${answeredBy}: no voicemailMessage configured`, { closeReason: 'end_call' });
    this.c.log.info({ answeredBy }, 'leaving the voicemail message');
    this.speak(this.voice.fixed(text, { kind: 'end', reason: 'voicemail_left' }), 'leavingMessage');
  }

  // ---- the caller ------------------------------------------------------------------------------

  private onPartial(text: string) {
    // The message to a machine and the last words play to the end: nothing on the line interrupts them.
    if (this.current === 'leavingMessage' || this.current === 'ending') return;
    this.silence.activity();
    if (!this.interruptible()) return;
    if (partialInterrupts(text, this.c.vad.voicedWithin(this.c.deps.settings.bargeInVoiceWindowMs, performance.now())))
      this.interrupt('speech');
  }

  private onFinal(text: string) {
    // A machine recording the message has nothing to say; line noise must not cut the message.
    if (this.current === 'leavingMessage') return;
    this.silence.activity();
    const now = performance.now();
    const vad = this.c.vad;
    const endOfSpeech = vad.lastVoiceAt > now - 5_000 ? vad.lastVoiceAt : now - this.c.deps.settings.segmentationSilenceMs;
    if (this.current === 'ending') {
      // The last words play whatever is said; what is said is kept, and a request not to be called
      // again made over an apology is honoured all the same.
      this.c.turns.caller(text);
      if (asksNotToBeCalled(text)) this.markOptedOut(`caller: ${text}`);
      return;
    }
    if (asksNotToBeCalled(text)) {
      this.c.turns.caller(text);
      this.messages.push({ role: 'user', content: text });
      return this.optOut(`caller: ${text}`);
    }
    if (this.interruptible()) {
      if (finalWhileReplying(text, this.reply!.speaker.audioSent) === 'backchannel') {
        this.c.turns.caller(text);
        return;
      }
      this.interrupt('speech');
    }
    this.callerTurn(text, endOfSpeech, now);
  }

  private callerTurn(text: string, endOfSpeech: number, sttFinal: number) {
    this.c.turns.caller(text);
    this.messages.push({ role: 'user', content: text });
    // Screening: a machine's greeting (or a person's "hello?") is kept, not answered; AMD decides who speaks.
    if (this.current === 'screening') return;
    const reply = this.voice.forModel();
    reply.stamps.endOfSpeech = endOfSpeech;
    reply.stamps.sttFinal = sttFinal;
    this.speak(reply, 'thinking');
    const s = this.c.deps.settings;
    const run = reply
      .runModel({
        llm: this.c.deps.llm,
        agent: this.c.agent,
        tools: this.tools,
        messages: this.messages,
        usage: this.c.usage,
        log: this.c.log,
        goodbyePhrase: this.phrases.goodbye,
        optOutPhrase: this.phrases.optOut,
        firstTokenTimeoutMs: s.firstTokenTimeoutMs,
        maxRounds: s.maxModelRounds,
        onTool: (decision) => this.dispatch({ type: 'toolCall', reply, decision }),
        onFirstToken: () => this.dispatch({ type: 'modelToken', reply }),
      })
      .catch((err) => {
        reply.failure ??= { vendor: 'gateway', message: (err as Error).message };
        reply.speaker.end();
      });
    this.modelRuns.add(run);
  }

  /** Every model stream has unwound (at most `capMs`): the final usage is read after it, so a reply aborted by the end of the call has its streamed tokens counted. */
  modelSettled(capMs = 1_000): Promise<void> {
    return this.modelRuns.settled(capMs);
  }

  private onTool(reply: Reply, d: ToolDecision) {
    if (d.kind === 'outcome') {
      // Race: after an opt-out, a record_outcome (of this round or a late one) must not replace it: the workflow keeps the last outcome.
      if (!this.optOuts.done) this.c.signals.send(outcomeSignal, d.outcome);
      return;
    }
    // An aborted reply decides nothing (Reply.runModel stops before its tools); the guard keeps it so.
    if (d.kind !== 'opt_out' || reply !== this.reply) return;
    this.markOptedOut('model: opt_out tool');
    // The reply says the confirmation (the model's, or ours) and nothing interrupts it.
    this.to('ending');
  }

  // ---- the agent's utterances ------------------------------------------------------------------

  private onPlayed(reply: Reply) {
    // Race: a reply interrupted (or replaced) while its last mark was on its way.
    if (reply !== this.reply) return;
    this.reply = undefined;
    reply.speaker.dispose();
    this.c.turns.agent(reply, reply.speaker.fullText(), false);
    this.c.signals.send(usageSignal, this.c.usage.snapshot());
    if (reply.failure) return this.fail(reply.failure.vendor, reply.failure.message);
    const after = reply.endAfter;
    switch (after?.kind) {
      case 'end_call':
        return this.c.end('end_call', undefined, { closeReason: 'end_call' });
      case 'opt_out':
        return this.c.end('end_call', OPT_OUT_OUTCOME, { closeReason: 'end_call' });
      case 'end':
        return this.c.end(after.reason, after.detail, { closeReason: after.reason });
      case 'transfer':
        this.to('ending');
        return void this.transfer(after.to);
      default:
        return this.to('listening');
    }
  }

  /** Caller speech, a key, a machine verdict or a failure while an utterance is in flight: stop it where the caller stopped hearing it. */
  private interrupt(why: Interruption) {
    const reply = this.reply;
    if (!reply) return;
    this.reply = undefined;
    const heard = cutOff(reply, { out: this.c.out, turns: this.c.turns, clear: true });
    if (heard !== undefined) {
      if (why === 'speech' || why === 'dtmf') gatewayBargeIns.inc();
      if (reply.kind === 'llm') reply.truncateHistory(this.messages);
      this.c.log.debug({ why, heard: heard.length }, 'barge-in');
    }
    this.to('listening');
  }

  private async transfer(to: string) {
    const r = await transferCall(this.c.deps.transfer, this.c.callSid, to, this.c.log);
    this.dispatch(r.ok ? { type: 'transferred' } : { type: 'transferFailed', message: r.message });
  }

  // ---- opt-out, failure, the end ---------------------------------------------------------------

  /** The caller asked not to be called again: the outcome goes to the workflow now, whatever happens next. */
  private markOptedOut(notes: string) {
    if (!this.optOuts.record(notes)) return;
    this.amdWatch?.stop();
    this.keypad.reset();
  }

  /** Detected by the gateway (words or key): confirm briefly and end, without asking the model. */
  private optOut(notes: string) {
    if (this.optOuts.done) return;
    if (this.reply) this.interrupt('speech');
    this.markOptedOut(notes);
    this.messages.push({ role: 'assistant', content: this.phrases.optOut });
    this.speak(this.voice.fixed(this.phrases.optOut, { kind: 'end', reason: 'end_call', detail: OPT_OUT_OUTCOME }), 'ending');
  }

  /** A vendor failure the conversation cannot recover from: apologise (if TTS still works), then end. */
  private fail(vendor: string, message: string, failed?: Reply) {
    this.c.log.error({ vendor, err: message }, 'ending the call after a vendor failure');
    const detail = `${vendor}: ${message}`;
    if (failed && this.reply === failed) {
      this.reply = undefined;
      if (vendor === 'elevenlabs') {
        // No voice left: the stream ends now, so the caller hears no more than the marks confirmed.
        cutOff(failed, { out: this.c.out, turns: this.c.turns, clear: false });
        return this.c.end('error', detail, { closeReason: 'error' });
      }
      failed.speaker.dispose();
      // The model failed: its whole clauses were sent and play (no clear); the apology follows them.
      if (failed.speaker.audioSent) this.c.turns.agent(failed, failed.speaker.fullText(), false);
    } else if (this.reply) this.interrupt('failure');
    if (vendor === 'elevenlabs') return this.c.end('error', detail, { closeReason: 'error' });
    this.speak(this.voice.fixed(this.phrases.apology, { kind: 'end', reason: 'error', detail }), 'ending');
  }

  /**
   * The stream ends (session.ts `finish`). Heard = recorded = billed: agent speech cut off by the
   * end (the caller hung up mid-reply, `stop`, an error) is saved as an interrupted turn cut at the
   * last confirmed mark, as a barge-in is; its TTS characters and tokens are billed as sent.
   */
  private stop() {
    const reply = this.reply;
    this.reply = undefined;
    // The stream is over: nothing to clear at Twilio, only the turn to save as heard.
    if (reply) cutOff(reply, { out: this.c.out, turns: this.c.turns, clear: false });
    this.amdWatch?.stop();
    this.keypad.reset();
    this.voice.discard();
    this.to('ended');
  }
}
