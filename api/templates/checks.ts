import type { Sql } from '../../lib/db';
import { HttpError } from '../errors';
import { checkDisclosure, contactVariables, missingVariables, requiredVariables } from '../../lib/templates';
import type { AgentConfig } from '../../workflows/call/contract';

const MAX_LISTED = 200;

function refuseMissing(rows: { where: string; phone: string; missing: string[] }[], total: number, details: unknown[]): never {
  const first = rows
    .slice(0, 5)
    .map((r) => `${r.where} (${r.missing.join(', ')})`)
    .join('; ');
  const more = total > 5 ? ` and ${total - 5} more` : '';
  throw new HttpError(
    400,
    'missing_variables',
    `${total} contact(s) lack a variable the agent's templates use without a default: ${first}${more}. Add the column values, or give the placeholder a default ({{name|default}}).`,
    details,
  );
}

/**
 * Upload check: every contact must have a value for each variable the agent's templates name
 * without a default. Refuses the whole upload (nothing is stored) with every offending line.
 */
export function assertContactsFillTemplates(
  agent: AgentConfig,
  accepted: { line: number; phone: string; name: string | null; variables: Record<string, string> }[],
): void {
  const gaps = missingVariables(agent, accepted);
  if (!gaps.length) return;
  const rows = gaps.map((g) => ({
    where: `line ${g.contact.line}`,
    line: g.contact.line,
    phone: g.contact.phone,
    missing: g.missing,
  }));
  refuseMissing(
    rows,
    rows.length,
    rows.slice(0, MAX_LISTED).map(({ line, phone, missing }) => ({ line, phone, missing })),
  );
}

/**
 * Start check: the first message discloses who is calling and why, and every stored contact can
 * fill the templates (contacts are numbered by upload order, `contact` = their position).
 */
export async function assertReadyToStart(sql: Sql, campaign: { id: string; agent: AgentConfig }): Promise<void> {
  const disclosure = checkDisclosure(campaign.agent.firstMessage);
  if (!disclosure.ok) throw new HttpError(400, 'disclosure_missing', disclosure.message!, { missing: disclosure.missing });
  if (!requiredVariables(campaign.agent).length) return;
  const gaps: { where: string; contact: number; phone: string; missing: string[] }[] = [];
  let after = 0;
  for (;;) {
    const page = await sql<{ seq: number; phone_e164: string; name: string | null; variables: Record<string, string> }[]>`
      select seq, phone_e164, name, variables from contacts where campaign_id = ${campaign.id} and seq > ${after} order by seq limit 5000`;
    if (!page.length) break;
    for (const g of missingVariables(campaign.agent, page))
      gaps.push({ where: `contact ${g.contact.seq}`, contact: g.contact.seq, phone: g.contact.phone_e164, missing: g.missing });
    after = page[page.length - 1]!.seq;
  }
  if (gaps.length)
    refuseMissing(
      gaps,
      gaps.length,
      gaps.slice(0, MAX_LISTED).map(({ contact, phone, missing }) => ({ contact, phone, missing })),
    );
}

export { contactVariables };
