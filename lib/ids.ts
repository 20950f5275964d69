/**
 * Identifiers are derived, never random, so any process can find a run from what it already
 * has (design: Identifiers). Keep these pure: workflow code imports this module.
 */
export const TASK_QUEUES = { orchestration: 'orchestration', dialer: 'dialer' } as const;

export const campaignWorkflowId = (campaignId: string) => `campaign/${campaignId}`;
export const callWorkflowId = (callId: string) => `call/${callId}`;
export const topUpWorkflowId = (topUpId: string) => `topup/${topUpId}`;

/** Ledger idempotency keys: workflow id + step, so a retried activity is a no-op. */
export const ledgerKeys = {
  callHold: (callId: string) => `call/${callId}:hold`,
  callSettle: (callId: string) => `call/${callId}:settle`,
  callVoid: (callId: string) => `call/${callId}:void`,
  topUpCredit: (topUpId: string) => `topup/${topUpId}:credit`,
};

/** Parses `call/<uuid>` back into the callId, or undefined. */
export function callIdFromWorkflowId(workflowId: string): string | undefined {
  const m = /^call\/([0-9a-f-]{36})$/i.exec(workflowId);
  return m?.[1];
}
