/**
 * The call workflow's public contract: its input, result, signals and queries. Imported by the
 * API (Twilio status webhook), the media gateway and the campaign workflow — keep it free of
 * anything but types and definitions.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type CallTerminalStatus =
  | 'completed'
  | 'no_answer'
  | 'busy'
  | 'failed'
  | 'voicemail'
  | 'invalid_number'
  | 'insufficient_credits'
  | 'canceled'
  /** The number is on a do-not-call list (suppression port): nothing was held, dialed or charged. */
  | 'suppressed'
  /**
   * No call reached the provider (the dial never got to Twilio: its queue backlog timed out, or
   * the database or Twilio stayed down through every dial attempt). Nothing was charged; the hold
   * was released. The campaign puts the contact back in its queue without counting an attempt.
   */
  | 'not_attempted';

/** `ringing`: the provider created the call and no answer has come yet (no `ringing` callback is requested). */
export type CallLiveStatus = 'validating' | 'holding' | 'dialing' | 'ringing' | 'in_progress' | 'settling';
export type CallStatus = CallLiveStatus | CallTerminalStatus;

export const TERMINAL_STATUSES: readonly CallTerminalStatus[] = [
  'completed',
  'no_answer',
  'busy',
  'failed',
  'voicemail',
  'invalid_number',
  'insufficient_credits',
  'canceled',
  'suppressed',
  'not_attempted',
];

export function isTerminalStatus(status: CallStatus): status is CallTerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/** Settling or ended: no media stream may start or go on. */
export function isCallOver(status: CallStatus): boolean {
  return status === 'settling' || isTerminalStatus(status);
}

/** What the media gateway needs to run the conversation; lives on the campaign. */
export interface AgentConfig {
  systemPrompt: string;
  firstMessage: string;
  /** BCP-47, e.g. ms-MY, en-US */
  language: string;
  voiceId: string;
  llmModel: string;
  fallbackModels?: string[];
  ttsModel?: string;
  /** Message left on voicemail when the campaign's policy is leave_message. */
  voicemailMessage?: string;
  /** E.164 number the agent may transfer to (transfer_call tool). */
  transferNumber?: string;
  /** Allowed values of record_outcome's `result`, e.g. interested / not_interested / callback. */
  outcomes?: string[];
  silenceTimeoutSec?: number;
  /** Call recording (media gateway, issue 16 §4): on unless `enabled: false`; `notice` is spoken before the first message. */
  recording?: { enabled?: boolean; notice?: string };
}

export type VoicemailPolicy = 'hangup' | 'leave_message';

/**
 * A call workflow's input (v1). Small on purpose: the campaign starts one per call, and each start
 * event is in the campaign's history. So the agent travels by reference (`agentId`, read from
 * Postgres by the call's begin activity, see activities/call/agent.ts), and the full number is
 * only here, in the child's own input — never in what the campaign carries between runs.
 *
 * The credit hold is not in the input: the call's first step (a local activity, so its answer is
 * recorded in the call's history) quotes it from the price list once; every retry of the hold
 * reuses that recorded amount, whatever PRICE_LIST_JSON says by then.
 */
export interface CallInput {
  callId: string;
  accountId: string;
  campaignId?: string;
  contactId?: string;
  /** The contact's attempt number (1 for the first), stored with the call; unique per contact. */
  attempt: number;
  /** As uploaded; validated to E.164 by the workflow (invalid -> invalid_number, no hold). */
  to: string;
  defaultRegion?: string;
  maxDurationSec: number;
  ringTimeoutSec: number;
  voicemailPolicy: VoicemailPolicy;
  /**
   * The agent, by reference: a `call_agents` row (lib/agents: `saveAgent(sql, accountId, agent)`
   * returns it). Content-addressed, so the same agent always has the same id and a changed agent
   * gets a new one: the id is its version.
   */
  agentId: string;
  /** Workflow id (not run id) of the campaign to report back to: survives its continue-as-new. */
  parentWorkflowId?: string;
  /** Task queue of the dial activity; default `dialer`. Tests use their own. */
  dialerTaskQueue?: string;
  /** Backstops for lost callbacks; defaults in workflows/call/lifecycle.ts. */
  timeouts?: CallTimeouts;
}

export interface CallTimeouts {
  /** After the ring timeout, how long to wait for any sign of the call before hanging up (default 60). */
  ringGraceSec?: number;
  /** After a hang-up, how long to wait for Twilio's final status and the gateway's mediaEnded (default 20). */
  endGraceSec?: number;
}

export interface CallUsage {
  sttAudioMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Cost the LLM API reported, micro-units, when it reported one. */
  llmReportedCostMicro?: number;
  ttsCharacters: number;
}

/**
 * Why an answered call ended, when it was not a plain hang-up by either side. Stored on the call
 * (calls.end_reason) so an operator can tell a media failure from a finished conversation.
 * `media_<reason>` for a MediaEndReason other than end_call / caller_hangup.
 */
export type CallEndReason = 'max_duration' | 'machine' | 'canceled' | `media_${MediaEndReason}` | 'abandoned';

/**
 * What a call workflow returns, and what it signals to its campaign (callFinished).
 *
 * For the campaign: `not_attempted` → the contact goes back to the queue, no attempt counted;
 * `insufficient_credits` → pause; `suppressed` → the contact is done (do not call);
 * everything else is an attempt, retried per the campaign's retry policy.
 */
export interface CallResult {
  callId: string;
  status: CallTerminalStatus;
  /** Answered seconds, capped at the maximum duration (0 when unanswered). The charge follows the price list's billing rule. */
  durationSec: number;
  chargedMicro: number;
  providerCostMicro: number;
  outcome?: CallOutcome;
  /** Set when the call did not end in a plain hang-up (see CallEndReason). */
  endReason?: CallEndReason;
  error?: string;
}

/** Twilio status callback, as the webhook forwards it (already signature-checked). */
export interface TelephonyStatusEvent {
  callSid: string;
  /** Twilio's CallStatus: queued, initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled */
  status: string;
  sequenceNumber?: number;
  durationSec?: number;
  /** From asynchronous answering-machine detection: human, machine_start, machine_end_beep, fax, unknown… */
  answeredBy?: string;
  at: string;
}

export interface TranscriptTurn {
  seq: number;
  role: 'agent' | 'caller' | 'system';
  text: string;
  interrupted?: boolean;
  /** When the turn started, in ms since the media stream started (stored as a 32-bit integer). */
  atMs?: number;
  latency?: TurnLatency;
}

/** Milliseconds since the caller's end of speech, per stage (design: Media gateway loop). */
export interface TurnLatency {
  sttFinalMs?: number;
  llmFirstTokenMs?: number;
  firstClauseMs?: number;
  ttsFirstByteMs?: number;
  firstFrameMs?: number;
}

/**
 * The outcome the media gateway signals when the person asked not to be called again (by their
 * words in English or Malay, the model's opt_out tool, or the opt-out key): the number belongs on
 * the account's do-not-call list. Not one of a campaign's configurable outcomes; always allowed.
 */
export const OPT_OUT_OUTCOME = 'opt_out';

export interface CallOutcome {
  /** One of the campaign's `agent.outcomes`, or OPT_OUT_OUTCOME. */
  result: string;
  notes?: string;
  callbackAt?: string;
  data?: Record<string, unknown>;
}

export type MediaEndReason =
  'end_call' | 'caller_hangup' | 'silence_timeout' | 'transfer' | 'voicemail_left' | 'error' | 'stream_closed';

export interface MediaEndedEvent {
  reason: MediaEndReason;
  detail?: string;
  at: string;
  /**
   * The stream that ended. The workflow keeps the event only if that stream holds the call's
   * media (attachMedia): a stream that never got the call cannot end it.
   */
  streamSid: string;
}

export interface CallState {
  callId: string;
  status: CallStatus;
  callSid?: string;
  answeredAt?: string;
  /** From async AMD: `human`, `machine_start`, `machine_end_beep`, … (the gateway polls `callAmd` for it on leave_message calls). */
  answeredBy?: string;
  transcript: TranscriptTurn[];
  usage: CallUsage;
  outcome?: CallOutcome;
}

/*
 * Signal semantics (implemented by workflows/call/lifecycle.ts; the gateway and campaign rely on them):
 *
 * - Routing: every signal goes to workflow id `call/<callId>`. A signal to a finished call fails with
 *   WorkflowNotFoundError: the call is over — the gateway should close the stream and stop.
 * - A call counts as answered at the first of: telephonyStatus `in-progress`, telephonyStatus
 *   `completed` (only reachable through an answer), or an accepted attachMedia. The max-duration
 *   timer starts then.
 * - One media stream per call: the first stream to attach holds the call (see attachMediaUpdate);
 *   the gateway sends transcript, usage, outcome and mediaEnded only for a stream that holds it.
 * - What ends the call:
 *   - telephonyStatus with a final status (completed, busy, no-answer, failed, canceled): the provider
 *     ended it; nothing is hung up.
 *   - mediaEnded with any reason except `transfer`: the workflow hangs up (hang-up of an ended call
 *     is a no-op). `transfer` keeps the call up until the provider ends it or the max duration.
 *   - answeredBy machine_* / fax with voicemailPolicy `hangup`: the workflow hangs up; status voicemail.
 *     With `leave_message` (AMD mode DetectMessageEnd) the workflow does not hang up on a machine: the
 *     gateway, polling `callAmd`, speaks agent.voicemailMessage after the machine_end_* verdict (the
 *     beep) and sends mediaEnded `voicemail_left` (or `end_call` for a fax), and the workflow hangs up then.
 *   - the max-duration timer: the workflow hangs up; billed seconds are capped at maxDurationSec.
 *   - workflow cancellation: before answer → hang up, void, status canceled; after answer → hang up,
 *     settle what was used, status canceled.
 * - After the call ends, the workflow waits up to timeouts.endGraceSec for Twilio's final status (for
 *   CallDuration) and, if a stream attached, for mediaEnded. Send the final usage BEFORE mediaEnded:
 *   usage arriving after settlement is not billed.
 * - Terminal status: voicemail if AMD reported a machine or mediaEnded.reason is voicemail_left;
 *   canceled if canceled; else completed (answered), or busy / no_answer / failed from the final status.
 *   Before any of that: invalid_number, suppressed (do-not-call), insufficient_credits (hold refused),
 *   not_attempted (the dial never reached the provider).
 * - Money: exactly one of settle (answered) or void (not answered) resolves the call's hold, in one
 *   guarded place that also runs when the workflow fails; a run that never got there (terminated,
 *   timed out) has its hold resolved by the hold sweeper (workflows/call/sweeper.ts), which also
 *   reports the result to the campaign. A campaign that wants an overdue call's result itself
 *   asks the `callReconcile` activity (activities/call/types.ts HoldSweeperActivities): null while
 *   the call's workflow runs, else its CallResult (a run closed before dialing: not_attempted).
 */

/** Twilio status/AMD callbacks, forwarded by the API. Applied only if they move the call forward. */
export const telephonyStatusSignal = defineSignal<[TelephonyStatusEvent]>('telephonyStatus');
/** One per turn; re-sending a turn with the same seq replaces it (idempotent). At most 2,000 turns kept. */
export const transcriptSignal = defineSignal<[TranscriptTurn]>('transcript');
/** Cumulative totals for the call so far: each field keeps its maximum, so a duplicate or late signal cannot double-count. */
export const usageSignal = defineSignal<[CallUsage]>('usage');
/** The last one wins. */
export const outcomeSignal = defineSignal<[CallOutcome]>('outcome');
/** The conversation is over (see the semantics above); only the first is kept. */
export const mediaEndedSignal = defineSignal<[MediaEndedEvent]>('mediaEnded');

/** Live status, call SID, answeredBy (AMD), transcript, usage and outcome. */
export const callStateQuery = defineQuery<CallState>('callState');

/** What the media gateway needs to run a call's conversation (the agent as loaded by the call's begin activity). */
export interface CallAgentView {
  callId: string;
  accountId: string;
  campaignId?: string;
  /** A stream for a call that is settling or over is refused (a replayed TwiML, a late reconnect). */
  status: CallStatus;
  agent: AgentConfig;
  /** `leave_message` makes the gateway hold its greeting and poll `callAmd` until AMD decides. */
  voicemailPolicy: VoicemailPolicy;
  /** The AMD verdict already received when the stream started, if any. */
  answeredBy?: string;
}

/** The AMD verdict so far; small on purpose, since the gateway polls it (every ~750 ms, ≤ 40 s). */
export interface CallAmdView {
  status: CallStatus;
  answeredBy?: string;
}
/**
 * Polled by the gateway on `leave_message` calls only, from the stream's start until AMD has a
 * verdict or the gateway's cap passes.
 */
export const callAmdQuery = defineQuery<CallAmdView>('callAmd');

/** A media stream asking to carry the call's conversation. */
export interface MediaAttachRequest {
  streamSid: string;
  callSid: string;
  /**
   * Minted by the gateway once per WebSocket, reused by its retries of this request. The same
   * streamSid with another attachId is not a retry but a replayed `start` (streamSid travels in
   * the clear next to the token), and is refused like any other second stream.
   */
  attachId: string;
  at: string;
}

/** ApplicationFailure types an attachMedia rejection carries (validator, or the handler's own re-check). */
export const MEDIA_REFUSED = {
  /** Another stream already holds the call: a replayed token or start, possibly on another gateway. */
  alreadyStreaming: 'MediaAlreadyAttached',
  /** The call is ending or over (settling, terminal, canceled, ended at the provider, or its media already ended). */
  callOver: 'CallNotAnswerable',
  /** The stream names a different Twilio call than the one this workflow dialed. */
  otherCall: 'MediaForAnotherCall',
} as const;

/**
 * The media stream claims the call and gets its agent, in one round trip (design: one stream per
 * call, the workflow is the authority across gateway instances). The first stream to attach holds
 * the call for good; the same stream re-attaching (same streamSid and attachId: a retry after a
 * lost response) gets the same answer again. Everything else is rejected by the validator, which
 * leaves no event in history. An accepted attach is proof of answer.
 * Idempotent on the server too when retried with the same update id (`media/<attachId>`).
 */
export const attachMediaUpdate = defineUpdate<CallAgentView, [MediaAttachRequest]>('attachMedia');
