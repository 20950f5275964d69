import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CallResult, CallTimeouts, VoicemailPolicy } from '../call/contract';

/**
 * Sent by each child callWorkflow to its campaign, addressed by workflow id so it reaches the
 * current run after continue-as-new.
 */
export interface CallFinished extends CallResult {
  contactId?: string;
  attempt: number;
}
export const callFinishedSignal = defineSignal<[CallFinished]>('callFinished');

/**
 * Credits were added to the account (sent by the top-up workflow to the account's paused
 * campaigns). A campaign paused for credits checks its balance and resumes if it covers a call;
 * any other campaign ignores it.
 */
export const creditsAddedSignal = defineSignal('creditsAdded');

export interface CallingWindow {
  timeZone: string;
  /** "HH:MM", 24-hour, local to timeZone; the window is [start, end). */
  start: string;
  end: string;
  /** ISO weekdays, 1 = Monday … 7 = Sunday. */
  weekdays: number[];
}

export interface RetryPolicy {
  /** Total attempts per contact, the first included. */
  maxAttempts: number;
  /** Wait before the next attempt; doubled for each further attempt. */
  backoffSec: number;
  /** Terminal statuses worth another attempt. */
  retryOn: ('no_answer' | 'busy' | 'failed' | 'voicemail')[];
}

export interface CampaignSettings {
  maxConcurrentCalls: number;
  callingWindow?: CallingWindow;
  retry: RetryPolicy;
  maxDurationSec: number;
  ringTimeoutSec: number;
  voicemailPolicy: VoicemailPolicy;
}

export interface CampaignCounters {
  contactsDone: number;
  attemptsStarted: number;
  attemptsFinished: number;
  byStatus: Record<string, number>;
  chargedMicro: number;
}

export type CampaignStatus = 'running' | 'paused' | 'canceling' | 'completed' | 'canceled';

/** A call started and not yet reported. No phone number: carried state holds none. */
export interface InFlightCall {
  contactId: string;
  attempt: number;
  /** attempts counted against the retry policy, this one included (a refused hold or a call never attempted does not count) */
  tries: number;
  startedAtMs: number;
}

/** An attempt owed to a contact already dialed (retry, refused for credits, not attempted), due at notBeforeMs. */
export interface QueuedAttempt {
  contactId: string;
  attempt: number;
  tries: number;
  notBeforeMs: number;
}

/** A contact never dialed, as read from Postgres a page at a time. */
export interface ContactToCall {
  contactId: string;
  seq: number;
  phone: string;
  attempts: number;
}

/** An attempt's outcome for the contact's row. */
export interface ContactResult {
  contactId: string;
  /** The call whose lease is released; absent when the contact ended without a call. */
  callId?: string;
  attempt: number;
  status: string;
  /** no more attempts will follow for this contact */
  final: boolean;
}

/** What the periodic check found about a call in flight (its workflow closed: with which result). */
export type CallCheck = { callId: string; closed: false } | { callId: string; closed: true; result: CallResult };

/** What continue-as-new carries to the next run (design: Campaign). */
export interface CampaignCarry {
  cursor: number;
  exhausted: boolean;
  status: CampaignStatus;
  pauseReason: string | null;
  /** The status Postgres is known to hold ("status:reason"), and the sequence number of its last write. */
  storedStatus: string | null;
  statusSeq: number;
  inFlight: Record<string, InFlightCall>;
  queue: QueuedAttempt[];
  counters: CampaignCounters;
  generation: number;
}

export interface CampaignInput {
  campaignId: string;
  accountId: string;
  /** The agent by reference (lib/agents/store.ts saveAgent): never copied into a child's start. */
  agentId: string;
  settings: CampaignSettings;
  defaultRegion?: string;
  /** Tests: task queues of the children and their dial activity; call timeouts. */
  callTaskQueue?: string;
  dialerTaskQueue?: string;
  callTimeouts?: CallTimeouts;
  /** Calls per run before continue-as-new (default 300). */
  callsPerRun?: number;
  /** How often calls in flight are checked and a credit pause re-checked (default 120 s). */
  checkEverySec?: number;
  carry?: CampaignCarry;
}

export interface CampaignProgress {
  campaignId: string;
  status: CampaignStatus;
  pauseReason: string | null;
  inFlight: number;
  pendingRetries: number;
  waitingForWindow: boolean;
  counters: CampaignCounters;
  generation: number;
}

export interface CampaignControlResult {
  status: CampaignStatus;
  pauseReason: string | null;
}

export const pauseUpdate = defineUpdate<CampaignControlResult, [{ reason?: string }]>('pause');
export const resumeUpdate = defineUpdate<CampaignControlResult>('resume');
export const cancelUpdate = defineUpdate<CampaignControlResult>('cancel');
export const progressQuery = defineQuery<CampaignProgress>('progress');
