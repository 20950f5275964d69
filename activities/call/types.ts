/**
 * Shapes of the call activities, shared by the activity implementations and callWorkflow
 * (type-only import in the workflow). Activities are idempotent by callId.
 */
import type { ProviderCallStatus } from '../../providers/types';
import type { AgentConfig, CallInput, CallOutcome, CallTerminalStatus, CallUsage, TranscriptTurn, VoicemailPolicy } from '../../workflows/call/contract';

export type ValidateNumberResult = { ok: true; e164: string } | { ok: false; reason: string };

export interface CallBeginArgs {
  input: Omit<CallInput, 'agent'>;
  toE164: string | null;
  /** Also hold credits for this many seconds (only with a valid number): saves an activity per call. */
  holdForSec?: number;
}

export interface CallHoldResult {
  holdKey: string;
  amountMicro: number;
}

export interface DialArgs {
  callId: string;
  to: string;
  ringTimeoutSec: number;
  maxDurationSec: number;
  voicemailPolicy: VoicemailPolicy;
}

/** `unknown`: an earlier attempt may have created a call we cannot find; do not dial again. */
export type DialResult = { outcome: 'dialed'; callSid: string; adopted: boolean } | { outcome: 'unknown' };

/** ApplicationFailure types thrown by the dial activity. */
export const DIAL_FAILURE = {
  invalidNumber: 'TelephonyInvalidNumber',
  destinationBlocked: 'TelephonyDestinationBlocked',
  account: 'TelephonyAccount',
  rejected: 'TelephonyRejected',
  rateLimited: 'TelephonyRateLimited',
  unavailable: 'TelephonyUnavailable',
} as const;
export const NON_RETRYABLE_DIAL_FAILURES = [DIAL_FAILURE.invalidNumber, DIAL_FAILURE.destinationBlocked, DIAL_FAILURE.account, DIAL_FAILURE.rejected];

export const INSUFFICIENT_CREDITS = 'InsufficientCredits';
export const CALL_ROW_REJECTED = 'CallRowRejected';

export interface FinishUnansweredArgs {
  callId: string;
  status: CallTerminalStatus;
  holdKey?: string;
  callSid?: string;
  answeredBy?: string;
  error?: string;
}

export interface SettleArgs {
  callId: string;
  accountId: string;
  holdKey: string;
  status: CallTerminalStatus;
  callSid?: string;
  answeredBy?: string;
  answeredAt: string;
  endedAt: string;
  /** Seconds the client is billed for: Twilio's CallDuration (or our own measure), capped at maxDurationSec. */
  billedSeconds: number;
  telephonySeconds: number;
  usage: CallUsage;
  outcome?: CallOutcome;
  transcript: TranscriptTurn[];
  error?: string;
}

export interface SettleResult {
  chargedMicro: number;
  releasedMicro: number;
  providerCostMicro: number;
}

export interface CallActivities {
  callValidateNumber(args: { to: string; defaultRegion?: string }): Promise<ValidateNumberResult>;
  /** Bridge until the v1 call activities (calls branch) land: the agent a campaign passed by reference. */
  callLoadAgent?(args: { accountId: string; agentId: string }): Promise<AgentConfig>;
  /** The hold when `holdForSec` was given and the number is valid, else null. */
  callBegin(args: CallBeginArgs): Promise<CallHoldResult | null>;
  callHold(args: { callId: string; accountId: string; maxDurationSec: number }): Promise<CallHoldResult>;
  callHangup(args: { callId: string; callSid: string }): Promise<void>;
  /** The provider's view of the call, asked when a status callback the workflow waited for did not come. */
  callProviderStatus(args: { callId: string; callSid: string }): Promise<ProviderCallStatus | null>;
  callFinishUnanswered(args: FinishUnansweredArgs): Promise<{ releasedMicro: number }>;
  callSettle(args: SettleArgs): Promise<SettleResult>;
}

export interface DialerActivities {
  callDial(args: DialArgs): Promise<DialResult>;
}
