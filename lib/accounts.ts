import { z } from 'zod';
import type { Sql } from './db';
import { generateApiKey, type Role } from './api-keys';

/** Account and API-key administration, shared by the admin API and the operators' CLI. */
export interface Account {
  id: string;
  name: string;
  currency: string;
  billingEmail: string | null;
  maxConcurrentCalls: number;
  lowBalanceThreshold: number;
  status: string;
  createdAt: string;
}

const accountColumns = (
  sql: Sql,
) => sql`id, name, currency, billing_email as "billingEmail", max_concurrent_calls as "maxConcurrentCalls",
  low_balance_threshold as "lowBalanceThreshold", status, created_at as "createdAt"`;

/** `id`, when given (derived from an Idempotency-Key), makes a second call return the first account. */
export async function createAccount(
  sql: Sql,
  a: {
    id?: string;
    name: string;
    currency?: string;
    billingEmail?: string;
    maxConcurrentCalls?: number;
    lowBalanceThreshold?: number;
  },
): Promise<Account> {
  const [row] = await sql<Account[]>`
    insert into accounts (id, name, currency, billing_email, max_concurrent_calls, low_balance_threshold)
    values (coalesce(${a.id ?? null}::uuid, gen_random_uuid()), ${a.name}, ${a.currency ?? 'USD'}, ${a.billingEmail ?? null}, ${a.maxConcurrentCalls ?? 20}, ${a.lowBalanceThreshold ?? 10_000_000})
    on conflict (id) do nothing
    returning ${accountColumns(sql)}`;
  return row ?? (await getAccount(sql, a.id!))!;
}

export async function listAccounts(sql: Sql, opts: { limit?: number; after?: string } = {}): Promise<Account[]> {
  return sql<Account[]>`
    select ${accountColumns(sql)} from accounts
    where ${opts.after ? sql`id > ${opts.after}` : sql`true`}
    order by id limit ${Math.min(opts.limit ?? 100, 500)}`;
}

export async function getAccount(sql: Sql, id: string): Promise<Account | undefined> {
  const [row] = await sql<Account[]>`select ${accountColumns(sql)} from accounts where id = ${id}`;
  return row;
}

export interface IssuedKey {
  id: string;
  /** The secret: shown once, never stored. */
  key: string;
  prefix: string;
  role: Role;
  accountId: string | null;
  label: string | null;
}

export async function issueKey(sql: Sql, k: { accountId: string | null; role: Role; label?: string }): Promise<IssuedKey> {
  const g = generateApiKey();
  const [row] = await sql<{ id: string }[]>`
    insert into api_keys (account_id, role, key_hash, prefix, label)
    values (${k.accountId}, ${k.role}, ${g.hash}, ${g.prefix}, ${k.label ?? null}) returning id`;
  return { id: row!.id, key: g.key, prefix: g.prefix, role: k.role, accountId: k.accountId, label: k.label ?? null };
}

export async function listKeys(sql: Sql, accountId: string) {
  return sql<
    {
      id: string;
      prefix: string;
      role: Role;
      label: string | null;
      createdAt: string;
      revokedAt: string | null;
      lastUsedAt: string | null;
    }[]
  >`
    select id, prefix, role, label, created_at as "createdAt", revoked_at as "revokedAt", last_used_at as "lastUsedAt"
    from api_keys where account_id = ${accountId} order by created_at`;
}

/** Revokes a key: true if it was live, false if already revoked, undefined if there is none. */
export async function revokeKey(sql: Sql, keyId: string): Promise<boolean | undefined> {
  const revoked = await sql`update api_keys set revoked_at = now() where id = ${keyId} and revoked_at is null returning id`;
  if (revoked.length > 0) return true;
  const exists = await sql`select 1 from api_keys where id = ${keyId}`;
  return exists.length > 0 ? false : undefined;
}

/** Alert settings an account's owner edits (the console); the rule lives here so an API route can share it. */
export const AlertSettingsSchema = z
  .object({
    alertWebhookUrl: z
      .union([z.literal(''), z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2_000)])
      .transform((u) => u || null),
    lowBalanceThreshold: z.number().int().min(0, 'must be 0 or more (0 switches the alert off)').max(1e15),
  })
  .strict();

export async function alertSettings(
  sql: Sql,
  accountId: string,
): Promise<{ alertWebhookUrl: string | null; lowBalanceThreshold: number } | undefined> {
  const [row] = await sql<{ alertWebhookUrl: string | null; lowBalanceThreshold: number }[]>`
    select alert_webhook_url as "alertWebhookUrl", low_balance_threshold as "lowBalanceThreshold" from accounts where id = ${accountId}`;
  return row;
}

export async function updateAlertSettings(sql: Sql, accountId: string, s: z.output<typeof AlertSettingsSchema>): Promise<void> {
  await sql`update accounts set alert_webhook_url = ${s.alertWebhookUrl}, low_balance_threshold = ${s.lowBalanceThreshold} where id = ${accountId}`;
}

/** Suspends or reactivates an account; a suspended account's console users are signed out at their next request and cannot sign in. */
export async function setAccountStatus(sql: Sql, accountId: string, status: 'active' | 'suspended'): Promise<boolean> {
  const rows = await sql`update accounts set status = ${status} where id = ${accountId} returning id`;
  return rows.length > 0;
}
