/**
 * CallLifecycle: the state and rules of one call, with no Temporal in it (design: Call
 * lifecycle). callWorkflow hands every signal, update and query to it and waits on its
 * predicates; tests drive it directly (test/call/lifecycle.test.ts). Time comes in as arguments
 * (`nowMs`), so the class is deterministic wherever it runs.
 */
import {
  MEDIA_REFUSED,
  type CallAgentView,
  type CallAmdView,
  type CallEndReason,
  type CallInput,
  type CallOutcome,
  type CallResult,
  type CallState,
  type CallStatus,
  type CallTerminalStatus,
  type CallUsage,
  type AgentConfig,
  type MediaAttachRequest,
  type MediaEndedEvent,
  type TelephonyStatusEvent,
  type TranscriptTurn,
} from './contract';
import type { CallQuote } from '../../activities/call/types';
import { judgeAttach, type AttachVerdict, type MediaClaim } from './media-claim';
import { finalImpliesAnswer, isMachine, isProviderFinal, providerRank, unansweredTerminal } from './status';

export const DEFAULT_RING_GRACE_SEC = 60;
export const DEFAULT_END_GRACE_SEC = 20;
export const MAX_TRANSCRIPT_TURNS = 2_000;

/** Media end reasons that are a plain end of the conversation, not worth an end reason on the call. */
const PLAIN_MEDIA_ENDS = new Set(['end_call', 'caller_hangup', 'voicemail_left']);

/** What the one guarded money step (callFinish) is asked to do: settle an answered call, or release the hold. */
export interface CallEnding {
  status: CallTerminalStatus;
  endReason?: CallEndReason;
  error?: string;
  /** Present when the call was answered: it is settled on this usage; absent: the hold is voided. */
  answered?: {
    answeredAt: string;
    endedAt: string;
    /** Twilio's CallDuration when it came, else our own measure from answer to end. */
    telephonySeconds: number;
    usage: CallUsage;
    outcome?: CallOutcome;
    transcript: TranscriptTurn[];
  };
}

export class CallLifecycle {
  readonly state: CallState;
  /** The hold quote, recorded by the first step: the hold and the settlement both use it. */
  quote?: CallQuote;
  /** The agent, once the begin step loaded it. */
  agent?: AgentConfig;
  /** The final status Twilio reported (or we found by asking it). */
  providerFinal?: { status: string; durationSec?: number };
  answeredAtMs?: number;
  /** The one media stream that carries this call; set once, never moved (design: media claim). */
  mediaClaim?: MediaClaim;
  mediaEnded?: MediaEndedEvent;
  canceled = false;
  /** Set when the call ended before it could be dialed or answered (invalid, suppressed, refused hold …). */
  ended?: { status: CallTerminalStatus; error?: string };
  /** Why we hung up an answered call, when it was not the other side or the conversation's plain end. */
  hungUpFor?: CallEndReason;
  endedAtMs?: number;
  /** We asked the provider to hang up (once is enough: the activity retries, and TimeLimit is the backstop). */
  hangupSent = false;
  /** An unexpected failure in the orchestration: the call still settles or releases, then the workflow fails. */
  failure?: string;
  private rank = -1;

  constructor(readonly input: CallInput) {
    this.state = {
      callId: input.callId,
      status: 'validating',
      transcript: [],
      usage: { sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 },
    };
  }

  get ringGraceMs() {
    return (this.input.timeouts?.ringGraceSec ?? DEFAULT_RING_GRACE_SEC) * 1000;
  }
  get endGraceMs() {
    return (this.input.timeouts?.endGraceSec ?? DEFAULT_END_GRACE_SEC) * 1000;
  }

  // ---- status -------------------------------------------------------------------------------

  /** Moves the live status; returns true when it changed. */
  setStatus(status: CallStatus): boolean {
    if (this.state.status === status) return false;
    this.state.status = status;
    return true;
  }

  answered(): boolean {
    return this.answeredAtMs !== undefined;
  }

  /** The call's end is decided: nothing more to wait for before money and records. */
  isOver(): boolean {
    return this.ended !== undefined || this.canceled || this.providerFinal !== undefined;
  }

  end(status: CallTerminalStatus, error?: string) {
    this.ended ??= { status, ...(error ? { error } : {}) };
  }

  cancel() {
    this.canceled = true;
  }

  fail(message: string) {
    this.failure ??= message;
  }

  private markAnswered(nowMs: number) {
    if (this.answeredAtMs !== undefined) return;
    this.answeredAtMs = nowMs;
    this.state.answeredAt = new Date(nowMs).toISOString();
  }

  /** The dial created (or found) the call at the provider: it rings until a callback says otherwise. */
  dialed(callSid: string) {
    this.sameCall(callSid);
    if (this.state.status === 'dialing') this.setStatus('ringing');
  }

  /** Status callbacks and gateway messages are routed by callId; the first SID we learn is the call. */
  sameCall(callSid: string): boolean {
    this.state.callSid ??= callSid;
    return this.state.callSid === callSid;
  }

  // ---- messages (each handler of the workflow is one call here) --------------------------------

  /** Twilio's status and AMD callbacks: applied only when they move the call forward. Returns false for another SID's. */
  onTelephonyStatus(ev: TelephonyStatusEvent, nowMs: number): boolean {
    if (!this.sameCall(ev.callSid)) return false;
    if (ev.answeredBy && (!this.state.answeredBy || this.state.answeredBy === 'unknown')) this.state.answeredBy = ev.answeredBy;
    const r = providerRank(ev.status);
    if (r === undefined || this.providerFinal || r <= this.rank) return true; // unknown, after the end, duplicate or late
    this.rank = r;
    if (ev.status === 'ringing' && this.state.status === 'dialing') this.setStatus('ringing');
    if (ev.status === 'in-progress') this.markAnswered(nowMs);
    if (isProviderFinal(ev.status)) {
      this.providerFinal = { status: ev.status, ...(ev.durationSec !== undefined ? { durationSec: ev.durationSec } : {}) };
      if (finalImpliesAnswer(ev.status)) this.markAnswered(nowMs);
      this.endedAtMs ??= nowMs;
    }
    return true;
  }

  judgeAttach(req: MediaAttachRequest): AttachVerdict {
    return judgeAttach(this.mediaClaim, req, {
      status: this.state.status,
      callSid: this.state.callSid,
      over: !!this.providerFinal || !!this.mediaEnded || this.canceled,
    });
  }

  /** attachMedia: the first stream takes the call (proof of answer) and gets the agent view. */
  attach(req: MediaAttachRequest, nowMs: number): AttachVerdict & { view?: CallAgentView } {
    const v = this.judgeAttach(req);
    if (!v.ok) return v;
    if (!this.agent) return { ok: false, type: MEDIA_REFUSED.callOver, message: 'call has no agent loaded' };
    if (!v.repeat) {
      this.sameCall(req.callSid);
      this.mediaClaim = { streamSid: req.streamSid, attachId: req.attachId };
      this.markAnswered(nowMs);
    }
    return { ...v, view: this.agentView() };
  }

  agentView(): CallAgentView {
    const i = this.input;
    return {
      callId: i.callId,
      accountId: i.accountId,
      ...(i.campaignId ? { campaignId: i.campaignId } : {}),
      status: this.state.status,
      agent: this.agent!,
      voicemailPolicy: i.voicemailPolicy,
      ...(this.state.answeredBy ? { answeredBy: this.state.answeredBy } : {}),
    };
  }

  amdView(): CallAmdView {
    return { status: this.state.status, ...(this.state.answeredBy ? { answeredBy: this.state.answeredBy } : {}) };
  }

  /** One per turn; the same seq replaces (idempotent). */
  onTranscript(turn: TranscriptTurn) {
    const t = this.state.transcript;
    const i = t.findIndex((x) => x.seq === turn.seq);
    if (i >= 0) t[i] = turn;
    else if (t.length < MAX_TRANSCRIPT_TURNS) {
      t.push(turn);
      t.sort((a, b) => a.seq - b.seq);
    }
  }

  /** Cumulative totals: the larger value wins, so a duplicate or late signal cannot lower or double-count. */
  onUsage(u: CallUsage) {
    const s = this.state.usage;
    s.sttAudioMs = Math.max(s.sttAudioMs, u.sttAudioMs);
    s.promptTokens = Math.max(s.promptTokens, u.promptTokens);
    s.completionTokens = Math.max(s.completionTokens, u.completionTokens);
    s.ttsCharacters = Math.max(s.ttsCharacters, u.ttsCharacters);
    if (u.llmReportedCostMicro !== undefined)
      s.llmReportedCostMicro = Math.max(s.llmReportedCostMicro ?? 0, u.llmReportedCostMicro);
  }

  onOutcome(o: CallOutcome) {
    this.state.outcome = o;
  }

  /** Only from the stream that holds the call, and only the first. Returns false when ignored. */
  onMediaEnded(ev: MediaEndedEvent): boolean {
    if (this.mediaClaim?.streamSid !== ev.streamSid) return false;
    this.mediaEnded ??= ev;
    return true;
  }

  // ---- end conditions ----------------------------------------------------------------------

  /** When the max-duration timer fires: answer + maxDurationSec. */
  deadlineMs(): number {
    return this.answeredAtMs! + this.input.maxDurationSec * 1000;
  }

  /** Why we should hang up an answered call now, if we should. */
  hangupReason(): CallEndReason | undefined {
    if (this.canceled) return 'canceled';
    if (this.input.voicemailPolicy === 'hangup' && isMachine(this.state.answeredBy)) return 'machine';
    const m = this.mediaEnded;
    if (m && m.reason !== 'transfer') return PLAIN_MEDIA_ENDS.has(m.reason) ? 'media_end_call' : `media_${m.reason}`;
    return undefined;
  }

  /** The answered call ends now (a hangup reason, the provider's end, or the deadline). */
  talkIsOver(): boolean {
    return !!this.providerFinal || this.hangupReason() !== undefined;
  }

  /** We hang up an answered call for `reason` at `nowMs` (never counted past the deadline). */
  hangingUp(reason: CallEndReason, nowMs: number) {
    this.hungUpFor ??= reason;
    this.endedAtMs ??= Math.min(nowMs, this.deadlineMs());
  }

  /** A stream holds the call and has not said it ended: its final usage may still come. */
  awaitingMediaEnd(): boolean {
    return !!this.mediaClaim && !this.mediaEnded;
  }

  // ---- the ending ----------------------------------------------------------------------------

  /** The status an unanswered call ends with. */
  unansweredStatus(): { status: CallTerminalStatus; error?: string } {
    if (this.ended) return this.ended;
    if (this.canceled) return { status: 'canceled' };
    if (this.failure) return { status: 'failed', error: this.failure };
    if (!this.state.callSid)
      return { status: 'failed', error: 'dial_outcome_unknown: no call found at the provider and no status callback received' };
    if (this.providerFinal) return { status: unansweredTerminal(this.providerFinal.status) };
    return { status: 'no_answer', error: 'no final status from the provider' };
  }

  /** What the money step does with this call: settle what an answered call used, or release the hold. */
  ending(nowMs: number): CallEnding {
    if (!this.answered()) {
      const u = this.unansweredStatus();
      return { status: u.status, ...(u.error ? { error: u.error } : {}) };
    }
    const answeredAtMs = this.answeredAtMs!;
    const endedAtMs = this.endedAtMs ?? Math.min(nowMs, this.deadlineMs());
    const measured = Math.ceil(Math.max(0, endedAtMs - answeredAtMs) / 1000);
    const status: CallTerminalStatus =
      isMachine(this.state.answeredBy) || this.mediaEnded?.reason === 'voicemail_left'
        ? 'voicemail'
        : this.canceled
          ? 'canceled'
          : 'completed';
    const endReason = this.endReason();
    const error = this.failure ?? (endReason === 'max_duration' ? 'max_duration_reached' : undefined);
    return {
      status,
      ...(endReason ? { endReason } : {}),
      ...(error ? { error } : {}),
      answered: {
        answeredAt: this.state.answeredAt!,
        endedAt: new Date(endedAtMs).toISOString(),
        telephonySeconds: this.providerFinal?.durationSec ?? measured,
        usage: { ...this.state.usage },
        ...(this.state.outcome ? { outcome: this.state.outcome } : {}),
        transcript: [...this.state.transcript],
      },
    };
  }

  /**
   * Every end that is not a plain hang-up by either side: our own hang-ups (max duration, machine,
   * canceled), a media stream that ended on an error, silence or a transfer, and a run that failed.
   */
  endReason(): CallEndReason | undefined {
    if (this.failure) return 'abandoned';
    if (this.hungUpFor && this.hungUpFor !== 'media_end_call') return this.hungUpFor;
    const m = this.mediaEnded;
    if (m && !PLAIN_MEDIA_ENDS.has(m.reason)) return `media_${m.reason}`;
    return undefined;
  }

  result(ending: CallEnding, money: { chargedMicro: number; providerCostMicro: number; durationSec: number }): CallResult {
    return {
      callId: this.input.callId,
      status: ending.status,
      durationSec: money.durationSec,
      chargedMicro: money.chargedMicro,
      providerCostMicro: money.providerCostMicro,
      ...(ending.answered?.outcome ? { outcome: ending.answered.outcome } : {}),
      ...(ending.endReason ? { endReason: ending.endReason } : {}),
      ...(ending.error ? { error: ending.error } : {}),
    };
  }
}
