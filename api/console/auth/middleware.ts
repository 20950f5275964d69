import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Sql } from '../../../lib/db';
import { HttpError } from '../../errors';
import { loadSession, SESSION_TTL_SEC } from './sessions';

/**
 * Cookies: the session (HttpOnly, SameSite=Lax, Secure when APP_ORIGIN is https, where it also
 * takes the __Host- prefix so no subdomain can set it) and, before sign-in, a login CSRF cookie
 * for the double-submit check on the sign-in form.
 */
export function cookieNames(secure: boolean) {
  return {
    session: secure ? '__Host-aicall_session' : 'aicall_session',
    preLogin: secure ? '__Host-aicall_login' : 'aicall_login',
  };
}

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.get('cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      const v = part.slice(i + 1).trim();
      // tokens are base64url: anything else is not ours
      return /^[\w-]{20,100}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

export function cookieOptions(secure: boolean, maxAgeSec: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure, path: '/', maxAge: maxAgeSec * 1000 };
}

export function setSessionCookie(res: Response, secure: boolean, token: string) {
  res.cookie(cookieNames(secure).session, token, cookieOptions(secure, SESSION_TTL_SEC));
}

/** Sets req.console when the cookie names a live session. */
export function attachSession(sql: Sql, secure: boolean): RequestHandler {
  const name = cookieNames(secure).session;
  return async (req, _res, next) => {
    const token = readCookie(req, name);
    if (token) req.console = await loadSession(sql, token);
    next();
  };
}

/** Pages need a session; a browser without one goes to the sign-in page and comes back after. */
export const requireSignIn: RequestHandler = (req, res, next) => {
  if (req.console) return next();
  if (req.method === 'GET' && req.get('hx-request') !== 'true' && req.get('accept')?.includes('text/event-stream') !== true) {
    return res.redirect(303, `/app/login?next=${encodeURIComponent(req.originalUrl)}`);
  }
  next(new HttpError(401, 'unauthenticated', 'your session has ended; sign in again'));
};

const sameToken = (a: string | undefined, b: string) =>
  !!a && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Every state-changing request carries the session's CSRF token: forms as the hidden `_csrf`
 * field, htmx requests in the X-CSRF-Token header. SameSite=Lax already keeps the cookie off
 * cross-site POSTs; the token also stops same-site attackers and older browsers.
 */
export function requireCsrf(req: Request, _res: Response, next: NextFunction) {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const s = req.console;
  if (!s) return next(new HttpError(401, 'unauthenticated', 'your session has ended; sign in again'));
  const presented = req.get('x-csrf-token') ?? (typeof req.body?._csrf === 'string' ? req.body._csrf : undefined);
  if (!sameToken(presented, s.csrf))
    return next(
      new HttpError(
        403,
        'csrf_failed',
        'the form is missing its security token or it has expired; reload the page and try again',
      ),
    );
  next();
}

/** Login CSRF (before there is a session): a random cookie echoed in the form (double submit). */
export function preLoginToken(req: Request, res: Response, secure: boolean): string {
  const name = cookieNames(secure).preLogin;
  let t = readCookie(req, name);
  if (!t) {
    t = randomBytes(24).toString('base64url');
    res.cookie(name, t, cookieOptions(secure, 3600));
  }
  return t;
}
export function checkPreLogin(req: Request, secure: boolean): boolean {
  const cookie = readCookie(req, cookieNames(secure).preLogin);
  return !!cookie && sameToken(typeof req.body?._csrf === 'string' ? req.body._csrf : undefined, cookie);
}

/** Whether the request carries a live console session of a user of `accountId` (for pages outside /app). */
export async function consoleUserOf(
  sql: Sql,
  req: Request,
  config: { APP_ORIGIN?: string },
  accountId: string,
): Promise<boolean> {
  const token = readCookie(req, cookieNames((config.APP_ORIGIN ?? '').startsWith('https:')).session);
  if (!token) return false;
  const s = await loadSession(sql, token);
  return s?.accountId === accountId;
}
