import type { Sql } from '../../lib/db';
import type { Config } from '../../lib/config';
import { getAccount } from '../../lib/accounts';
import { createUser, findUserByEmail, issueToken } from './auth/users';

export const LOGIN_LINK_TTL_SEC = 15 * 60;
export const INVITE_TTL_SEC = 7 * 86_400;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const consoleOrigin = (config: Pick<Config, 'APP_ORIGIN' | 'API_PORT'>) =>
  (config.APP_ORIGIN ?? `http://localhost:${config.API_PORT}`).replace(/\/$/, '');

/**
 * The CLI's console commands: the first platform admin, an invitation to an account (both print a
 * one-time set-password link), and a one-time sign-in link for an existing user (the demo's).
 */
export async function consoleUserLink(
  sql: Sql,
  config: Pick<Config, 'APP_ORIGIN' | 'API_PORT'>,
  verb: 'create-admin' | 'invite' | 'login-link',
  o: { email?: string; account?: string; role?: string },
): Promise<string> {
  if (!o.email || !/^[^@\s]+@[^@\s]+$/.test(o.email)) throw new Error('--email EMAIL is required');
  const origin = consoleOrigin(config);
  if (verb === 'login-link') {
    const u = await findUserByEmail(sql, o.email);
    if (!u) throw new Error(`no console user ${o.email}`);
    const token = await issueToken(sql, u.id, 'login', LOGIN_LINK_TTL_SEC);
    return `${origin}/app/login-link?token=${token}`;
  }
  let accountId: string | null = null;
  let role: 'admin' | 'owner' | 'member' = 'admin';
  if (verb === 'invite') {
    if (!o.account || !UUID.test(o.account)) throw new Error('--account ACCOUNT_ID (a UUID) is required');
    if (!(await getAccount(sql, o.account))) throw new Error(`no account ${o.account}`);
    if (o.role !== undefined && o.role !== 'owner' && o.role !== 'member') throw new Error('--role must be owner or member');
    accountId = o.account;
    role = (o.role as 'owner' | 'member' | undefined) ?? 'owner';
  }
  const u = await createUser(sql, { email: o.email, role, accountId });
  const token = await issueToken(sql, u.id, 'set_password', INVITE_TTL_SEC);
  return `${role} ${u.email} created (${u.id}).\nOne-time link to set the password (valid 7 days):\n${origin}/app/set-password?token=${token}`;
}

/**
 * `npm run demo`: an owner for the demo account (created once per account) and a one-time sign-in
 * link to its console, so a newcomer opens the browser on the campaign they just ran.
 */
export async function demoConsoleLink(
  sql: Sql,
  config: Pick<Config, 'APP_ORIGIN' | 'API_PORT'>,
  accountId: string,
  next = '/app',
): Promise<string> {
  const email = `owner+${accountId.slice(0, 8)}@demo.aicall.example`;
  const u = (await findUserByEmail(sql, email)) ?? (await createUser(sql, { email, role: 'owner', accountId }));
  const token = await issueToken(sql, u.id, 'login', LOGIN_LINK_TTL_SEC);
  return `${consoleOrigin(config)}/app/login-link?token=${token}&next=${encodeURIComponent(next)}`;
}
