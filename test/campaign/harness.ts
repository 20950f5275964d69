import { randomUUID } from 'node:crypto';
import type { Sql } from '../../lib/db';
import { agentId, saveAgent } from '../../lib/agents/store';
import type { AgentConfig } from '../../workflows/call/contract';
import type { CampaignInput, CampaignSettings } from '../../workflows/campaign/contract';

export const testAgent: AgentConfig = {
  systemPrompt: 'You are a polite agent.',
  firstMessage: 'Hello, this is Aina from Acme, calling about your renewal.',
  language: 'en-US',
  voiceId: 'v1',
  llmModel: 'meta-llama/llama-3.1-70b-instruct',
};

export const testSettings = (over: Partial<CampaignSettings> = {}): CampaignSettings => ({
  maxConcurrentCalls: 3,
  retry: { maxAttempts: 2, backoffSec: 1, retryOn: ['no_answer', 'busy'] },
  maxDurationSec: 60,
  ringTimeoutSec: 2,
  voicemailPolicy: 'hangup',
  ...over,
});

/** A campaign row and its contacts (in order), as the API would create them. */
export async function createCampaignRows(sql: Sql, accountId: string, phones: string[], settings: CampaignSettings) {
  const campaignId = randomUUID();
  await sql`insert into campaigns (id, account_id, name, agent, settings, contact_count)
            values (${campaignId}, ${accountId}, 'test campaign', ${sql.json(testAgent as never)}, ${sql.json(settings as never)}, ${phones.length})`;
  await saveAgent(sql, accountId, testAgent);
  const rows = phones.map((p, i) => ({
    id: randomUUID(),
    campaign_id: campaignId,
    account_id: accountId,
    seq: i + 1,
    phone_e164: p,
  }));
  for (let i = 0; i < rows.length; i += 500) await sql`insert into contacts ${sql(rows.slice(i, i + 500))}`;
  return { campaignId, contactIds: rows.map((r) => r.id) };
}

/** The campaign's workflow input; createCampaignRows saved its agent, as the API does on start. */
export function campaignInput(
  campaignId: string,
  accountId: string,
  settings: CampaignSettings,
  taskQueue: string,
  over: Partial<CampaignInput> = {},
): CampaignInput {
  return {
    campaignId,
    accountId,
    agentId: agentId(accountId, testAgent),
    settings,
    callTaskQueue: taskQueue,
    dialerTaskQueue: taskQueue,
    callTimeouts: { ringGraceSec: 3, endGraceSec: 2 },
    ...over,
  };
}

/** Largest number of calls whose [start, end) intervals overlap. */
export function maxOverlap(intervals: { start: number; end: number }[]): number {
  const events = intervals
    .flatMap(
      (i) =>
        [
          [i.start, 1],
          [i.end, -1],
        ] as [number, number][],
    )
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of events) max = Math.max(max, (cur += d));
  return max;
}
