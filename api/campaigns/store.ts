import type { Sql } from '../../lib/db';
import type { ContactReport } from '../../lib/contacts/normalize';

/**
 * Adds accepted contacts after the campaign's last one (seq keeps upload order). Numbers already
 * in the campaign are moved to the report's duplicates: unique (campaign_id, phone_e164) decides.
 */
export async function insertContacts(sql: Sql, campaignId: string, accountId: string, report: ContactReport): Promise<ContactReport> {
  if (!report.accepted.length) return report;
  return sql.begin(async (tx) => {
    const [c] = await tx<{ next: number }[]>`select coalesce(max(seq), 0) + 1 as next from contacts where campaign_id = ${campaignId}`;
    // lock the campaign row so two uploads cannot interleave their seq ranges
    await tx`select 1 from campaigns where id = ${campaignId} for update`;
    let seq = c!.next;
    const inserted = new Set<string>();
    for (let i = 0; i < report.accepted.length; i += 1_000) {
      const rows = report.accepted.slice(i, i + 1_000).map((a) => ({
        campaign_id: campaignId, account_id: accountId, seq: seq++, phone_e164: a.phone, name: a.name, variables: tx.json(a.variables as never),
      }));
      const got = await tx<{ phone_e164: string }[]>`insert into contacts ${tx(rows as never)} on conflict (campaign_id, phone_e164) do nothing returning phone_e164`;
      for (const g of got) inserted.add(g.phone_e164);
    }
    await tx`update campaigns set contact_count = (select count(*) from contacts where campaign_id = ${campaignId}) where id = ${campaignId}`;
    const accepted = report.accepted.filter((a) => inserted.has(a.phone));
    const existing = report.accepted.filter((a) => !inserted.has(a.phone)).map((a) => ({ line: a.line, phone: a.phone, duplicateOfLine: null }));
    return { accepted, duplicates: [...report.duplicates, ...existing], invalid: report.invalid };
  });
}

export const reportSummary = (r: ContactReport) => ({
  accepted: r.accepted.length,
  duplicates: r.duplicates,
  invalid: r.invalid,
});
