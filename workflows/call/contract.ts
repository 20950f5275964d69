/**
 * The call workflow's public contract: its input, result, signals and queries. Imported by the
 * API (Twilio status webhook), the media gateway and the campaign workflow — keep it free of
 * anything but types and definitions.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';

export type CallTerminalStatus =
  | 'completed'
  | 'no_answer'
  | 'busy'
  | 'failed'
  | 'voicemail'
  | 'invalid_number'
  | 'insufficient_credits'
  | 'canceled';

export type CallLiveStatus = 'validating' | 'holding' | 'dialing' | 'ringing' | 'in_progress' | 'settling';
export type CallStatus = CallLiveStatus | CallTerminalStatus;

export const TERMINAL_STATUSES: readonly CallTerminalStatus[] = [
  'completed', 'no_answer', 'busy', 'failed', 'voicemail', 'invalid_number', 'insufficient_credits', 'canceled',
];

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
}

export interface CallState {
  callId: string;
  status: CallStatus;
  callSid?: string;
  answeredAt?: string;
  /** From async AMD: `human`, `machine_start`, `machine_end_beep`, … The gateway may poll this to leave a voicemail. */
  answeredBy?: string;
  transcript: TranscriptTurn[];
  usage: CallUsage;
  outcome?: CallOutcome;
}

export const telephonyStatusSignal = defineSignal<[TelephonyStatusEvent]>('telephonyStatus');
export const mediaStartedSignal = defineSignal<[MediaStartedEvent]>('mediaStarted');
/** One per turn; re-sending a turn with the same seq replaces it (idempotent). */
export const transcriptSignal = defineSignal<[TranscriptTurn]>('transcript');
/** Cumulative totals for the call so far: a duplicate or late signal cannot double-count. */
export const usageSignal = defineSignal<[CallUsage]>('usage');
export const outcomeSignal = defineSignal<[CallOutcome]>('outcome');
export const mediaEndedSignal = defineSignal<[MediaEndedEvent]>('mediaEnded');

export const callStateQuery = defineQuery<CallState>('callState');
