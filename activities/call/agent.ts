import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from '../../lib/db';
import { readAgent } from '../../lib/agents/store';
import type { AgentConfig } from '../../workflows/call/contract';

export interface CallAgentQuery {
  callId: string;
  accountId: string;
  agentId: string;
  /** The contact being called, when the call belongs to a campaign (for its variables). */
  contactId?: string;
}

/**
 * The agent a call talks with, loaded from Postgres by the call's begin activity (CallInput carries
 * only its id). The one place a call's agent is made: rendering a contact's variables into the
 * prompt belongs here too. An unknown id (or another account's) is final: no retry finds it.
 */
export async function loadCallAgent(sql: Sql, q: CallAgentQuery): Promise<AgentConfig> {
  const agent = await readAgent(sql, q.accountId, q.agentId);
  if (!agent) throw ApplicationFailure.nonRetryable(`call ${q.callId}: no agent ${q.agentId} for account ${q.accountId}`, 'AgentNotFound');
  return agent;
}
