import type { Sql } from '../../../lib/db';

/**
 * Sign-in throttling, counted in Postgres so it holds across API replicas: at most
 * PER_ACCOUNT failures per email and PER_IP failures per client address in WINDOW_MIN minutes.
 * While either limit is reached every attempt is refused (a right password too), so guessing
 * cannot go on; the window slides, so the block lifts WINDOW_MIN minutes after the oldest failure.
 */
export const THROTTLE = { PER_ACCOUNT: 5, PER_IP: 20, WINDOW_MIN: 15 } as const;

export async function loginBlocked(sql: Sql, email: string, ip: string): Promise<{ blocked: boolean; retryAfterSec: number }> {
  const [row] = await sql<{ by_email: number; by_ip: number; email_oldest: Date | null; ip_oldest: Date | null }[]>`
    with e as (
      select at from console_login_attempts
      where email = ${email} and not ok and at > now() - make_interval(mins => ${THROTTLE.WINDOW_MIN}) order by at desc limit ${THROTTLE.PER_ACCOUNT}
    ), i as (
      select at from console_login_attempts
      where ip = ${ip} and not ok and at > now() - make_interval(mins => ${THROTTLE.WINDOW_MIN}) order by at desc limit ${THROTTLE.PER_IP}
    )
    select (select count(*)::int from e) as by_email, (select count(*)::int from i) as by_ip,
           (select min(at) from e) as email_oldest, (select min(at) from i) as ip_oldest`;
  const r = row!;
  const until = (oldest: Date | null) =>
    oldest ? Math.max(1, Math.ceil((oldest.getTime() + THROTTLE.WINDOW_MIN * 60_000 - Date.now()) / 1000)) : 0;
  const blockedEmail = r.by_email >= THROTTLE.PER_ACCOUNT;
  const blockedIp = r.by_ip >= THROTTLE.PER_IP;
  return {
    blocked: blockedEmail || blockedIp,
    retryAfterSec: Math.max(blockedEmail ? until(r.email_oldest) : 0, blockedIp ? until(r.ip_oldest) : 0),
  };
}

export async function recordAttempt(sql: Sql, email: string, ip: string, ok: boolean): Promise<void> {
  await sql`insert into console_login_attempts (email, ip, ok) values (${email}, ${ip}, ${ok})`;
}
