/**
 * Shapes of the call activities, shared by the activity implementations and callWorkflow
 * (type-only import in the workflow, plus the failure-type constants). Activities are idempotent
 * by callId.
 */
import type { PriceList } from '../../lib/pricing/price-list';
import type { ProviderCallStatus } from '../../providers/types';
import type { AgentConfig, CallInput, CallResult, VoicemailPolicy } from '../../workflows/call/contract';
import type { CallEnding } from '../../workflows/call/lifecycle';

export type ValidateNumberResult = { ok: true; e164: string } | { ok: false; reason: string };

/**
 * The hold, quoted once from the worker's price list by the call's first (local) activity and
 * recorded in its history: every retry of the hold and the settlement use this, never a price
 * list read later (a changed PRICE_LIST_JSON cannot make a retried hold differ from the first).
 */
export interface CallQuote {
  priceList: PriceList;
  holdMicro: number;
}

export interface PrepareResult {
  number: ValidateNumberResult;
  quote: CallQuote;
}

export interface CallBeginArgs {
  input: CallInput;
  /** null when the number is invalid: the call is recorded, nothing else. */
  toE164: string | null;
  quote: CallQuote;
}

/**
 * `held`: recorded, agent loaded, credit held. `suppressed`: the number is on a do-not-call list;
 * nothing held. `recorded`: an invalid number, recorded only.
 */
export type CallBeginResult =
  | { outcome: 'held'; holdKey: string; amountMicro: number; agent: AgentConfig }
  | { outcome: 'suppressed' }
  | { outcome: 'recorded' };

export interface DialArgs {
  callId: string;
  to: string;
  ringTimeoutSec: number;
  maxDurationSec: number;
  voicemailPolicy: VoicemailPolicy;
}

/** `unknown`: an earlier attempt may have created a call we cannot find; do not dial again. */
export type DialResult = { outcome: 'dialed'; callSid: string; adopted: boolean } | { outcome: 'unknown' };

/**
 * After the dial activity gave up: did a call reach the provider? `no`: no claim is recorded (the
 * dial never started, or Twilio answered that it created nothing). `yes`: a call exists.
 * `unknown`: a dial was claimed and no call was found: wait for its own callbacks.
 */
export type DialRecord = { reached: 'no' } | { reached: 'yes'; callSid: string } | { reached: 'unknown' };

/** ApplicationFailure types thrown by the dial activity. */
export const DIAL_FAILURE = {
  invalidNumber: 'TelephonyInvalidNumber',
  destinationBlocked: 'TelephonyDestinationBlocked',
  account: 'TelephonyAccount',
  rejected: 'TelephonyRejected',
  rateLimited: 'TelephonyRateLimited',
  unavailable: 'TelephonyUnavailable',
} as const;
export const NON_RETRYABLE_DIAL_FAILURES = [
  DIAL_FAILURE.invalidNumber,
  DIAL_FAILURE.destinationBlocked,
  DIAL_FAILURE.account,
  DIAL_FAILURE.rejected,
];

export const INSUFFICIENT_CREDITS = 'InsufficientCredits';
export const CALL_ROW_REJECTED = 'CallRowRejected';
/** A Postgres data error (SQLSTATE class 22 or 23): the same write fails on every retry. */
export const DATA_REJECTED = 'DataRejected';

/** The one money step: settle an answered call (ending.answered) or void the hold, and record the end. */
export interface FinishArgs {
  callId: string;
  accountId: string;
  maxDurationSec: number;
  /** Absent when the call ended before it was quoted; then nothing was held either. */
  quote?: CallQuote;
  callSid?: string;
  answeredBy?: string;
  ending: CallEnding;
}

export interface FinishResult {
  chargedMicro: number;
  providerCostMicro: number;
  /** Answered seconds counted (capped at the maximum); 0 when unanswered. */
  durationSec: number;
  /** Seconds billed under the price list's billing rule. */
  billedSeconds: number;
  releasedMicro: number;
}

export interface CallActivities {
  /** Local activity: the number's verdict and the hold quote, recorded in the call's history. */
  callPrepare(args: { to: string; defaultRegion?: string; maxDurationSec: number }): Promise<PrepareResult>;
  /** Records the call, consults the do-not-call list, loads the agent, holds credit: one activity. */
  callBegin(args: CallBeginArgs): Promise<CallBeginResult>;
  /** After the dial activity failed for good: whether a call reached the provider. */
  callDialRecord(args: { callId: string; to: string }): Promise<DialRecord>;
  callHangup(args: { callId: string; callSid: string }): Promise<void>;
  /** The provider's view of the call, asked when a status callback the workflow waited for did not come. */
  callProviderStatus(args: { callId: string; callSid: string }): Promise<ProviderCallStatus | null>;
  callFinish(args: FinishArgs): Promise<FinishResult>;
}

export interface DialerActivities {
  callDial(args: DialArgs): Promise<DialResult>;
}

/** The hold sweeper's activities (workflows/call/sweeper.ts). */
export interface HoldSweeperActivities {
  /**
   * Resolves the pending holds of calls whose workflow is closed (terminated, timed out, failed
   * before its money step): void, or settle if the call was answered; marks the call terminal and
   * reports it to its campaign. Holds younger than `olderThanSec` are left alone.
   */
  callSweepHolds(args: {
    olderThanSec: number;
    limit?: number;
  }): Promise<{ resolved: string[]; running: number; failed: number }>;
  /**
   * One call, as the campaign asks for an in-flight call older than its lease: null while its
   * workflow runs; else its result (resolving its hold first if the workflow left it pending).
   * A run that closed before dialing (or before recording the call) is `not_attempted`.
   */
  callReconcile(args: { callId: string }): Promise<CallResult | null>;
}
