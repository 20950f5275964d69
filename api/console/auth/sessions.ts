import { randomBytes } from 'node:crypto';
import type { Sql } from '../../../lib/db';
import { sha256, type ConsoleRole } from './users';

/**
 * Server-side sessions in Postgres (every API replica sees the same ones). The cookie holds a
 * random 256-bit token; the row holds its SHA-256, the CSRF token and two expiries: absolute
 * (SESSION_TTL_SEC after sign-in) and idle (IDLE_TTL_SEC since the last request).
 */
export const SESSION_TTL_SEC = 12 * 3600;
export const IDLE_TTL_SEC = 2 * 3600;

export interface Session {
  tokenHash: string;
  csrf: string;
  userId: string;
  email: string;
  role: ConsoleRole;
  accountId: string | null;
  accountName: string | null;
  currency: string;
}

export async function createSession(sql: Sql, userId: string): Promise<{ token: string; csrf: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  await sql`insert into console_sessions (token_hash, user_id, csrf_token, expires_at)
            values (${sha256(token)}, ${userId}, ${csrf}, now() + make_interval(secs => ${SESSION_TTL_SEC}))`;
  return { token, csrf };
}

/**
 * The live session for a cookie token: not expired (absolute or idle), its user not disabled, and
 * its account (if any) not suspended — suspending an account ends its users' sessions at once.
 */
export async function loadSession(sql: Sql, token: string): Promise<Session | undefined> {
  const hash = sha256(token);
  const [row] = await sql<(Session & { stale: boolean })[]>`
    select s.token_hash as "tokenHash", s.csrf_token as csrf, u.id as "userId", u.email, u.role, u.account_id as "accountId",
           a.name as "accountName", coalesce(a.currency, 'USD') as currency, s.last_seen_at < now() - interval '1 minute' as stale
    from console_sessions s join console_users u on u.id = s.user_id left join accounts a on a.id = u.account_id
    where s.token_hash = ${hash} and s.expires_at > now() and s.last_seen_at > now() - make_interval(secs => ${IDLE_TTL_SEC})
      and u.disabled_at is null and (u.account_id is null or a.status = 'active')`;
  if (!row) return undefined;
  // the idle clock moves at most once a minute: one write per minute per session, not per request
  if (row.stale) await sql`update console_sessions set last_seen_at = now() where token_hash = ${hash}`;
  const { stale: _s, ...session } = row;
  return session;
}

export async function destroySession(sql: Sql, tokenHash: string): Promise<void> {
  await sql`delete from console_sessions where token_hash = ${tokenHash}`;
}

/** Housekeeping: expired sessions and old sign-in attempts (run on sign-in, cheap with the indexes). */
export async function sweepExpired(sql: Sql): Promise<void> {
  await sql`delete from console_sessions where expires_at < now() or last_seen_at < now() - make_interval(secs => ${IDLE_TTL_SEC})`;
  await sql`delete from console_login_attempts where at < now() - interval '1 day'`;
}
