import type { Sql } from '../../lib/db';
import { normalizeContacts, type ContactReport } from '../../lib/contacts/normalize';
import type { AgentConfig } from '../../workflows/call/contract';
import type { CampaignSettings } from '../../workflows/campaign/contract';
import type { Campaign } from '../contract/campaigns';

/**
 * Adds accepted contacts after the campaign's last one (seq keeps upload order). Numbers already
 * in the campaign are moved to the report's duplicates: unique (campaign_id, phone_e164) decides.
 */
export async function insertContacts(
  sql: Sql,
  campaignId: string,
  accountId: string,
  report: ContactReport,
): Promise<ContactReport> {
  if (!report.accepted.length) return report;
  return sql.begin(async (tx) => {
    const [c] = await tx<
      { next: number }[]
    >`select coalesce(max(seq), 0) + 1 as next from contacts where campaign_id = ${campaignId}`;
    // lock the campaign row so two uploads cannot interleave their seq ranges
    await tx`select 1 from campaigns where id = ${campaignId} for update`;
    let seq = c!.next;
    const inserted = new Set<string>();
    for (let i = 0; i < report.accepted.length; i += 1_000) {
      const rows = report.accepted.slice(i, i + 1_000).map((a) => ({
        campaign_id: campaignId,
        account_id: accountId,
        seq: seq++,
        phone_e164: a.phone,
        name: a.name,
        variables: tx.json(a.variables as never),
      }));
      const got = await tx<
        { phone_e164: string }[]
      >`insert into contacts ${tx(rows as never)} on conflict (campaign_id, phone_e164) do nothing returning phone_e164`;
      for (const g of got) inserted.add(g.phone_e164);
    }
    await tx`update campaigns set contact_count = (select count(*) from contacts where campaign_id = ${campaignId}) where id = ${campaignId}`;
    const accepted = report.accepted.filter((a) => inserted.has(a.phone));
    const existing = report.accepted
      .filter((a) => !inserted.has(a.phone))
      .map((a) => ({ line: a.line, phone: a.phone, duplicateOfLine: null }));
    return { accepted, duplicates: [...report.duplicates, ...existing], invalid: report.invalid };
  });
}

export const reportSummary = (r: ContactReport) => ({
  accepted: r.accepted.length,
  duplicates: r.duplicates,
  invalid: r.invalid,
});

// ---- campaigns as the account sees them: shared by /v1 (api/routes/campaigns.ts) and /app (api/console)

export interface CampaignRow {
  id: string;
  account_id: string;
  name: string;
  status: string;
  pause_reason: string | null;
  agent: AgentConfig;
  settings: CampaignSettings & { defaultRegion?: string };
  contact_count: number;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

export const campaignView = (c: CampaignRow): Campaign => ({
  id: c.id,
  name: c.name,
  status: c.status,
  pauseReason: c.pause_reason,
  // stored agents went through AgentSchema, so `recording.enabled` has its default
  agent: c.agent as Campaign['agent'],
  settings: c.settings,
  contactCount: c.contact_count,
  createdAt: c.created_at.toISOString(),
  startedAt: c.started_at?.toISOString() ?? null,
  finishedAt: c.finished_at?.toISOString() ?? null,
});

/** One of the account's campaigns; undefined for another account's id (callers answer 404). */
export async function findCampaign(sql: Sql, accountId: string, id: string): Promise<CampaignRow | undefined> {
  const [row] = await sql<CampaignRow[]>`select * from campaigns where id = ${id} and account_id = ${accountId}`;
  return row;
}

export async function listCampaigns(sql: Sql, accountId: string, limit = 200): Promise<CampaignRow[]> {
  return sql<CampaignRow[]>`select * from campaigns where account_id = ${accountId} order by created_at desc limit ${limit}`;
}

export interface NewCampaign {
  name: string;
  agent: unknown;
  settings: unknown;
  defaultRegion: string;
}

/** A draft campaign with its first contacts (numbers normalised; rejects reported by line). */
export async function createCampaign(
  sql: Sql,
  accountId: string,
  c: NewCampaign,
  contacts: Parameters<typeof normalizeContacts>[0],
): Promise<{ campaign: CampaignRow; report: ContactReport }> {
  const [row] = await sql<CampaignRow[]>`
    insert into campaigns (account_id, name, agent, settings)
    values (${accountId}, ${c.name}, ${sql.json(c.agent as never)}, ${sql.json({ ...(c.settings as object), defaultRegion: c.defaultRegion } as never)})
    returning *`;
  const report = await insertContacts(sql, row!.id, accountId, normalizeContacts(contacts, c.defaultRegion));
  const [fresh] = await sql<CampaignRow[]>`select * from campaigns where id = ${row!.id}`;
  return { campaign: fresh!, report };
}

export interface CampaignProgressView {
  contacts: Record<string, number>;
  calls: Record<string, number>;
  inProgress: number;
}
export interface CampaignSpend {
  chargedMicro: number;
  providerCostMicro: number;
  billedSeconds: number;
}

/** Progress and spend of a campaign, from Postgres (what GET /v1/campaigns/:id and the live board show). */
export async function campaignProgress(
  sql: Sql,
  campaignId: string,
): Promise<{ progress: CampaignProgressView; spend: CampaignSpend }> {
  const [contacts, calls, [money], [live]] = await Promise.all([
    sql<
      { state: string; n: number }[]
    >`select state, count(*)::int as n from contacts where campaign_id = ${campaignId} group by state`,
    sql<
      { status: string; n: number }[]
    >`select status, count(*)::int as n from calls where campaign_id = ${campaignId} group by status`,
    sql<{ charged: number; cost: number; seconds: number }[]>`
      select coalesce(sum(k.charged_amount), 0)::bigint as charged, coalesce(sum(k.total_provider_cost), 0)::bigint as cost,
             coalesce(sum(k.billed_seconds), 0)::bigint as seconds
      from calls l join call_costs k on k.call_id = l.id where l.campaign_id = ${campaignId}`,
    sql<{ n: number }[]>`select count(*)::int as n from calls where campaign_id = ${campaignId} and not terminal`,
  ]);
  return {
    progress: {
      contacts: Object.fromEntries(contacts.map((x) => [x.state, x.n])),
      calls: Object.fromEntries(calls.map((x) => [x.status, x.n])),
      inProgress: live!.n,
    },
    spend: { chargedMicro: money!.charged, providerCostMicro: money!.cost, billedSeconds: money!.seconds },
  };
}
