import type postgres from 'postgres';
import type { Sql } from '../db';

/**
 * The do-not-call lists: one per account, and the platform's (account_id null) that applies to every
 * account. Entry points for the call path:
 *   isSuppressed(sql, accountId, e164)        the dial-time check (any list)
 *   suppressOptOut(sql, { accountId, e164 })  a callee's opt_out: effective for every later check
 * Both take a transaction too, so the check can sit in the same transaction as the call's begin.
 */
export type Db = Sql | postgres.TransactionSql<Record<string, never>>;
export type SuppressionSource = 'opt_out' | 'manual' | 'import';

export interface Suppression {
  phone: string;
  /** null: the platform-wide list */
  accountId: string | null;
  reason: string | null;
  source: SuppressionSource;
  callId: string | null;
  createdAt: string;
}

interface Row {
  account_id: string | null;
  phone_e164: string;
  reason: string | null;
  source: SuppressionSource;
  call_id: string | null;
  created_at: Date;
}
const toEntry = (r: Row): Suppression => ({
  phone: r.phone_e164,
  accountId: r.account_id,
  reason: r.reason,
  source: r.source,
  callId: r.call_id,
  createdAt: r.created_at.toISOString(),
});

/**
 * The entry that stops `e164` being called by `accountId` — the account's own first, else the
 * platform's — or null. One read, so under Postgres's read-committed isolation an opt-out committed
 * before the check began is always seen.
 */
export async function isSuppressed(db: Db, accountId: string, e164: string): Promise<Suppression | null> {
  const [row] = await db<Row[]>`
    select account_id, phone_e164, reason, source, call_id, created_at from suppressions
    where phone_e164 = ${e164} and (account_id = ${accountId} or account_id is null)
    order by account_id nulls last limit 1`;
  return row ? toEntry(row) : null;
}

/** Of `e164s`, those on the account's or the platform's list, with their source. */
export async function suppressedAmong(db: Db, accountId: string, e164s: string[]): Promise<Map<string, SuppressionSource>> {
  const out = new Map<string, SuppressionSource>();
  for (let i = 0; i < e164s.length; i += 5_000) {
    const rows = await db<{ phone_e164: string; source: SuppressionSource }[]>`
      select distinct on (phone_e164) phone_e164, source from suppressions
      where phone_e164 = any(${e164s.slice(i, i + 5_000)}) and (account_id = ${accountId} or account_id is null)
      order by phone_e164, account_id nulls last`;
    for (const r of rows) out.set(r.phone_e164, r.source);
  }
  return out;
}

/**
 * Adds numbers to a list (accountId null: the platform's). A number already there keeps its first
 * entry (and so its source: an opt-out stays an opt-out); the result says which were new.
 */
export async function addSuppressions(
  db: Db,
  accountId: string | null,
  entries: { phone: string; reason?: string | null; callId?: string | null }[],
  source: SuppressionSource,
): Promise<{ added: string[]; existing: string[] }> {
  const added: string[] = [];
  for (let i = 0; i < entries.length; i += 1_000) {
    const rows = entries
      .slice(i, i + 1_000)
      .map((e) => ({ account_id: accountId, phone_e164: e.phone, reason: e.reason ?? null, source, call_id: e.callId ?? null }));
    const conflict =
      accountId === null
        ? db`on conflict (phone_e164) where account_id is null do nothing`
        : db`on conflict (account_id, phone_e164) where account_id is not null do nothing`;
    const got = await db<
      { phone_e164: string }[]
    >`insert into suppressions ${db(rows as never)} ${conflict} returning phone_e164`;
    added.push(...got.map((g) => g.phone_e164));
  }
  const addedSet = new Set(added);
  return { added, existing: entries.map((e) => e.phone).filter((p) => !addedSet.has(p)) };
}

/**
 * A callee's opt-out (the gateway's `opt_out` outcome): the number goes on the account's list at
 * once, so a retry or another campaign of the account cannot call it. Idempotent (a retried
 * activity, a second opt-out on another call): returns whether this call added it.
 */
export async function suppressOptOut(
  db: Db,
  args: { accountId: string; e164: string; callId?: string; reason?: string },
): Promise<{ added: boolean }> {
  const r = await addSuppressions(
    db,
    args.accountId,
    [{ phone: args.e164, callId: args.callId, reason: args.reason ?? 'the callee asked not to be called again' }],
    'opt_out',
  );
  return { added: r.added.length === 1 };
}

export async function removeSuppression(db: Db, accountId: string | null, e164: string): Promise<Suppression | null> {
  const [row] =
    accountId === null
      ? await db<Row[]>`delete from suppressions where account_id is null and phone_e164 = ${e164} returning *`
      : await db<Row[]>`delete from suppressions where account_id = ${accountId} and phone_e164 = ${e164} returning *`;
  return row ? toEntry(row) : null;
}

export async function getSuppression(db: Db, accountId: string | null, e164: string): Promise<Suppression | null> {
  const [row] =
    accountId === null
      ? await db<Row[]>`select * from suppressions where account_id is null and phone_e164 = ${e164}`
      : await db<Row[]>`select * from suppressions where account_id = ${accountId} and phone_e164 = ${e164}`;
  return row ? toEntry(row) : null;
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listSuppressions(
  db: Db,
  accountId: string | null,
  q: { limit: number; source?: SuppressionSource; before?: { at: string; id: number } },
): Promise<{ entries: Suppression[]; next: { at: string; id: number } | null }> {
  // the cursor is bound as text, then cast: bound as timestamptz it would go through a JS Date and lose its microseconds
  const rows = await db<(Row & { id: number; created_key: string })[]>`
    select *, created_at::text as created_key from suppressions
    where ${accountId === null ? db`account_id is null` : db`account_id = ${accountId}`}
      ${q.source ? db`and source = ${q.source}` : db``}
      ${q.before ? db`and (created_at, id) < (${q.before.at}::text::timestamptz, ${q.before.id})` : db``}
    order by created_at desc, id desc limit ${q.limit + 1}`;
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return { entries: page.map(toEntry), next: rows.length > q.limit && last ? { at: last.created_key, id: last.id } : null };
}

/** The port the call's begin activity uses (activities/call defines its side of it). */
export const suppressionPort = (sql: Sql) => ({
  isSuppressed: (accountId: string, e164: string, tx?: Db) => isSuppressed(tx ?? sql, accountId, e164),
  suppressOptOut: (args: { accountId: string; e164: string; callId?: string }, tx?: Db) => suppressOptOut(tx ?? sql, args),
});

/**
 * For an upload report: the accepted contacts whose numbers are suppressed. They stay in the
 * campaign (the list can change before they are dialed); the dial-time check ends them `suppressed`.
 */
export async function suppressedContacts(
  db: Db,
  accountId: string,
  accepted: { line: number; phone: string }[],
): Promise<{ line: number; phone: string; source: SuppressionSource }[]> {
  if (!accepted.length) return [];
  const hits = await suppressedAmong(
    db,
    accountId,
    accepted.map((a) => a.phone),
  );
  return accepted.filter((a) => hits.has(a.phone)).map((a) => ({ line: a.line, phone: a.phone, source: hits.get(a.phone)! }));
}
