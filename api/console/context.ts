import type { NextFunction, Request, Response } from 'express';
import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { HttpError } from '../errors';
import type { Session } from './auth/sessions';

declare module 'express-serve-static-core' {
  interface Request {
    console?: Session;
  }
}

/** Sends a page (a full document) or, to an htmx request that targets a part, just that part. */
export function sendHtml(res: Response, node: VNode, status = 200): void {
  res
    .status(status)
    .type('html')
    .set('cache-control', 'no-store')
    .send(`<!doctype html>${renderToString(node)}`);
}
export function sendFragment(res: Response, node: VNode, status = 200): void {
  res.status(status).type('html').set('cache-control', 'no-store').send(renderToString(node));
}
export const isHtmx = (req: Request) => req.get('hx-request') === 'true';

export function session(req: Request): Session {
  if (!req.console) throw new HttpError(401, 'unauthenticated', 'sign in first');
  return req.console;
}

/** The signed-in user's account (owners and members); platform admins have none. */
export function accountId(req: Request): string {
  const s = session(req);
  if (!s.accountId) throw new HttpError(403, 'forbidden', 'this page belongs to an account; platform admins use the admin pages');
  return s.accountId;
}

export const requireRole =
  (...roles: Session['role'][]) =>
  (req: Request, _res: Response, next: NextFunction) => {
    const s = session(req);
    if (!roles.includes(s.role)) return next(new HttpError(403, 'forbidden', `this page is for ${roles.join(' or ')} users`));
    next();
  };

/** Redirect after a form post (303: the browser follows with a GET), or HX-Redirect for htmx. */
export function redirect(req: Request, res: Response, to: string): void {
  if (isHtmx(req)) res.set('hx-redirect', to).status(204).end();
  else res.redirect(303, to);
}
