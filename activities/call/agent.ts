import { ApplicationFailure } from '@temporalio/activity';
import type { Sql } from '../../lib/db';
import { readAgent } from '../../lib/agents/store';
import { contactVariables, renderAgent } from '../../lib/templates';
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
 * only its id). The one place a call's agent is made: a campaign call's `{{var}}` placeholders are
 * filled here with its contact's variables (lib/templates; a value missing at call time becomes empty
 * text, since upload and start already refused contacts lacking one). The rendered agent goes into
 * the call's history through the begin activity's result, so a replay or retry speaks the same words.
 * An unknown id (or another account's) is final: no retry finds it.
 */
export async function loadCallAgent(sql: Sql, q: CallAgentQuery): Promise<AgentConfig> {
  const agent = await readAgent(sql, q.accountId, q.agentId);
  if (!agent)
    throw ApplicationFailure.nonRetryable(`call ${q.callId}: no agent ${q.agentId} for account ${q.accountId}`, 'AgentNotFound');
  if (!q.contactId) return agent;
  const [contact] = await sql<{ name: string | null; variables: Record<string, string> | null }[]>`
    select name, variables from contacts where id = ${q.contactId} and account_id = ${q.accountId}`;
  return contact ? renderAgent(agent, contactVariables(contact)) : agent;
}
