import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../../../lib/db';
import { hashPassword } from './passwords';

/** Console users and their one-time links (invitations, password resets, sign-in links). */
export type ConsoleRole = 'owner' | 'member' | 'admin';
export interface ConsoleUser {
  id: string;
  accountId: string | null;
  email: string;
  role: ConsoleRole;
  createdAt: Date;
  hasPassword: boolean;
}

export const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
export const normalizeEmail = (e: string) => e.trim().toLowerCase();

const userColumns = (
  sql: Sql,
) => sql`console_users.id, console_users.account_id as "accountId", console_users.email, console_users.role,
  console_users.created_at as "createdAt", console_users.password_hash is not null as "hasPassword"`;

export class UserExists extends Error {}

export async function createUser(
  sql: Sql,
  u: { email: string; role: ConsoleRole; accountId: string | null; password?: string },
): Promise<ConsoleUser> {
  const hash = u.password ? await hashPassword(u.password) : null;
  try {
    const [row] = await sql<ConsoleUser[]>`
      insert into console_users (email, role, account_id, password_hash)
      values (${normalizeEmail(u.email)}, ${u.role}, ${u.role === 'admin' ? null : u.accountId}, ${hash})
      returning ${userColumns(sql)}`;
    return row!;
  } catch (err) {
    if ((err as { code?: string }).code === '23505')
      throw new UserExists(`a console user with email ${normalizeEmail(u.email)} already exists`);
    throw err;
  }
}

export async function findUserByEmail(sql: Sql, email: string) {
  const [row] = await sql<
    (ConsoleUser & { passwordHash: string | null; disabledAt: Date | null; accountStatus: string | null })[]
  >`
    select ${userColumns(sql)}, console_users.password_hash as "passwordHash", console_users.disabled_at as "disabledAt", a.status as "accountStatus"
    from console_users left join accounts a on a.id = console_users.account_id
    where console_users.email = ${normalizeEmail(email)}`;
  return row;
}

export async function listUsers(sql: Sql, accountId: string): Promise<ConsoleUser[]> {
  return sql<ConsoleUser[]>`select ${userColumns(sql)} from console_users where account_id = ${accountId} order by created_at`;
}

export async function setPassword(sql: Sql, userId: string, password: string): Promise<void> {
  const hash = await hashPassword(password);
  await sql`update console_users set password_hash = ${hash} where id = ${userId}`;
  // a new password ends every other session of the user
  await sql`delete from console_sessions where user_id = ${userId}`;
}

export type TokenPurpose = 'set_password' | 'login';

/** A one-time link token (256 random bits); only its hash is stored. */
export async function issueToken(sql: Sql, userId: string, purpose: TokenPurpose, ttlSec: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await sql`insert into console_tokens (token_hash, user_id, purpose, expires_at)
            values (${sha256(token)}, ${userId}, ${purpose}, now() + make_interval(secs => ${ttlSec}))`;
  return token;
}

/** The token's user if it is unused, unexpired and for `purpose`; looks without using it up. */
export async function peekToken(
  sql: Sql,
  token: string,
  purpose: TokenPurpose,
): Promise<{ userId: string; email: string } | undefined> {
  const [row] = await sql<{ userId: string; email: string }[]>`
    select t.user_id as "userId", u.email from console_tokens t join console_users u on u.id = t.user_id
    where t.token_hash = ${sha256(token)} and t.purpose = ${purpose} and t.used_at is null and t.expires_at > now()`;
  return row;
}

/** Uses the token up (once: the update is the guard against two concurrent uses). */
export async function consumeToken(sql: Sql, token: string, purpose: TokenPurpose): Promise<string | undefined> {
  const [row] = await sql<{ user_id: string }[]>`
    update console_tokens set used_at = now()
    where token_hash = ${sha256(token)} and purpose = ${purpose} and used_at is null and expires_at > now()
    returning user_id`;
  return row?.user_id;
}
