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

export interface RetryItem {
  contactId: string;
  phone: string;
  attempt: number;
  notBeforeMs: number;
}

/** What continue-as-new carries to the next run. */
export interface CampaignCarry {
  cursor: number;
  exhausted: boolean;
  status: CampaignStatus;
  pauseReason: string | null;
  inFlight: Record<string, { contactId: string; phone: string; attempt: number }>;
  retries: RetryItem[];
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
