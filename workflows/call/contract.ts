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
  | 'canceled';

/** `ringing`: the provider created the call and no answer has come yet (no `ringing` callback is requested). */
export type CallLiveStatus = 'validating' | 'holding' | 'dialing' | 'ringing' | 'in_progress' | 'settling';
export type CallStatus = CallLiveStatus | CallTerminalStatus;

export const TERMINAL_STATUSES: readonly CallTerminalStatus[] = [
  'completed', 'no_answer', 'busy', 'failed', 'voicemail', 'invalid_number', 'insufficient_credits', 'canceled',
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

export interface CallInput {
  callId: string;
  accountId: string;
  campaignId?: string;
  contactId?: string;
  attempt: number;
  /** As uploaded; validated to E.164 by the workflow (invalid -> invalid_number, no hold). */
  to: string;
  defaultRegion?: string;
  maxDurationSec: number;
  ringTimeoutSec: number;
  voicemailPolicy: VoicemailPolicy;
  agent: AgentConfig;
  /** Workflow id (not run id) of the campaign to report back to: survives its continue-as-new. */
  parentWorkflowId?: string;
  /** Task queue of the dial activity; default `dialer`. Tests use their own. */
  dialerTaskQueue?: string;
  /** Backstops for lost callbacks; defaults in workflows/call/workflow.ts. */
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

export interface CallResult {
  callId: string;
  status: CallTerminalStatus;
  durationSec: number;
  chargedMicro: number;
  providerCostMicro: number;
  outcome?: CallOutcome;
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

export interface MediaStartedEvent {
  streamSid: string;
  callSid: string;
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

export interface CallOutcome {
  result: string;
  notes?: string;
  callbackAt?: string;
  data?: Record<string, unknown>;
}

export type MediaEndReason = 'end_call' | 'caller_hangup' | 'silence_timeout' | 'transfer' | 'voicemail_left' | 'error' | 'stream_closed';

export interface MediaEndedEvent {
  reason: MediaEndReason;
  detail?: string;
  at: string;
  /**
   * The stream that ended. When set, the workflow keeps the event only if that stream holds the
   * call's media (attachMedia or mediaStarted): a stream that never got the call cannot end it.
   * Older gateways leave it out and are believed, as before.
   */
  streamSid?: string;
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
 * Signal semantics (implemented in workflows/call/workflow.ts; the gateway and campaign rely on them):
 *
 * - Routing: every signal goes to workflow id `call/<callId>`. A signal to a finished call fails with
 *   WorkflowNotFoundError: the call is over — the gateway should close the stream and stop.
 * - A call counts as answered at the first of: telephonyStatus `in-progress`, telephonyStatus
 *   `completed` (only reachable through an answer), or an accepted attachMedia (or mediaStarted from
 *   an older gateway). The max-duration timer starts then.
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
 */

/** Twilio status/AMD callbacks, forwarded by the API. Applied only if they move the call forward. */
export const telephonyStatusSignal = defineSignal<[TelephonyStatusEvent]>('telephonyStatus');
/**
 * Twilio's `start` arrived on the media stream: proof of answer. Sent by gateways older than
 * attachMedia (kept for them); its streamSid takes the media claim if none is held yet.
 */
export const mediaStartedSignal = defineSignal<[MediaStartedEvent]>('mediaStarted');
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

/** What the media gateway needs to run a call's conversation, from the workflow's own input. */
export interface CallAgentView {
  callId: string;
  accountId: string;
  campaignId?: string;
  /** A stream for a call that is settling or over is refused (a replayed TwiML, a late reconnect). */
  status: CallStatus;
  agent: AgentConfig;
  /**
   * The call's voicemail policy. `leave_message` makes the gateway hold its greeting and poll
   * `callAmd` until AMD decides. Absent from workflows started before it: treated as `hangup`.
   */
  voicemailPolicy?: VoicemailPolicy;
  /** The AMD verdict already received when the stream started, if any. */
  answeredBy?: string;
}
/**
 * The agent view without claiming the media (what attachMedia returns). Gateways before
 * attachMedia read it here, rather than from Postgres: a call started without a campaign has its
 * agent only in the workflow input. Kept for them; no history event, so it costs nothing to keep.
 */
export const callAgentQuery = defineQuery<CallAgentView>('callAgent');

/** The AMD verdict so far; small on purpose, since the gateway polls it (every ~750 ms, ≤ 40 s). */
export interface CallAmdView {
  status: CallStatus;
  answeredBy?: string;
}
/**
 * Polled by the gateway on `leave_message` calls only, from the stream's start until AMD has a
 * verdict or the gateway's cap passes. Queries leave no trace in history; no patch needed.
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
 * leaves no event in history. An accepted attach is what mediaStarted was: proof of answer.
 * Idempotent on the server too when retried with the same update id (`media/<attachId>`).
 */
export const attachMediaUpdate = defineUpdate<CallAgentView, [MediaAttachRequest]>('attachMedia');
