/**
 * Agents by reference (design: Call lifecycle, "the agent by reference"). A call workflow's input
 * carries an agent id, not the agent: the config (a prompt of up to 20 KB) would otherwise sit in
 * every child's start event in the campaign's history.
 *
 * Rows are immutable and content-addressed: the id is a hash of the account and the canonical
 * JSON of the agent, so saving the same agent again is a no-op and a changed agent is a new id.
 * The id therefore is the agent's version: a call always talks with the agent it was started with.
 */
import { createHash } from 'node:crypto';
import type postgres from 'postgres';
import type { Sql } from '../db';
import type { AgentConfig } from '../../workflows/call/contract';

type Db = Sql | postgres.TransactionSql<Record<string, never>>;

/** JSON with object keys sorted at every depth, so equal agents hash equal whatever their key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function agentId(accountId: string, agent: AgentConfig): string {
  return `ag_${createHash('sha256').update(accountId).update('\n').update(canonical(agent)).digest('hex').slice(0, 32)}`;
}

/** Stores the agent (idempotent) and returns its id, for CallInput.agentId. */
export async function saveAgent(db: Db, accountId: string, agent: AgentConfig): Promise<string> {
  const id = agentId(accountId, agent);
  await db`insert into call_agents (id, account_id, agent) values (${id}, ${accountId}, ${db.json(agent as never)}) on conflict (id) do nothing`;
  return id;
}

/** The agent saved under `id` for `accountId`, or undefined (unknown id, or another account's). */
export async function readAgent(db: Db, accountId: string, id: string): Promise<AgentConfig | undefined> {
  const [row] = await db<{ agent: AgentConfig }[]>`select agent from call_agents where id = ${id} and account_id = ${accountId}`;
  return row?.agent;
}
