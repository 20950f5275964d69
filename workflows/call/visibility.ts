/**
 * What a call run shows in the Temporal Web UI: memo and custom search attributes. Pure, shared by
 * callWorkflow and the campaign workflow, which sets them at startChild: attributes given at start
 * are free, while each upsert from the workflow is a billed Temporal action.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { SA } from '../../lib/search-attributes';
import { isTerminalStatus, type CallInput, type CallStatus } from './contract';

/** Only the last four digits: the Web UI is no place for full phone numbers. */
export interface CallMemo {
  toLast4: string;
  attempt: number;
}

export const callMemo = (input: Pick<CallInput, 'to' | 'attempt'>): CallMemo => ({
  toLast4: input.to.replace(/\D/g, '').slice(-4),
  attempt: input.attempt,
});

export function callSearchAttributes(
  input: Pick<CallInput, 'accountId' | 'campaignId'>,
  status: CallStatus,
): SearchAttributePair[] {
  return [
    { key: SA.AccountId, value: input.accountId },
    ...(input.campaignId ? [{ key: SA.CampaignId, value: input.campaignId }] : []),
    { key: SA.CallStatus, value: status },
  ];
}

/**
 * Statuses published to the CallStatus search attribute once the run has started: the answer and
 * the end. The steps between (holding, dialing, ringing, settling) last seconds and are visible
 * through the callState query and the calls table; publishing each cost an action per call.
 */
export const publishedStatus = (status: CallStatus) => status === 'in_progress' || isTerminalStatus(status);
