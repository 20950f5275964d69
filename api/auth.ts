import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Sql } from '../lib/db';
import { HttpError } from './errors';

import { hashKey, type Role } from '../lib/api-keys';
export { generateApiKey, hashKey, type Role } from '../lib/api-keys';

export interface AuthContext {
  keyId: string;
  role: Role;
  /** null only for platform admin keys */
  accountId: string | null;
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: AuthContext;
  }
}

function presentedKey(req: Request): string | undefined {
  const h = req.get('authorization');
  if (h) {
    const m = /^Bearer\s+(\S+)$/i.exec(h);
    return m?.[1];
  }
  return req.get('x-api-key') ?? undefined;
}

/**
 * Resolves the caller from the API key. The platform admin key from config (ADMIN_API_KEY) is
 * accepted as an admin without a database row, so a fresh deployment can create its first account.
 */
export function authenticate(sql: Sql, opts: { adminKey?: string } = {}): RequestHandler {
  const adminHash = opts.adminKey ? Buffer.from(hashKey(opts.adminKey)) : undefined;
  return async (req, _res, next) => {
    const key = presentedKey(req);
    if (!key) return next(new HttpError(401, 'unauthenticated', 'missing API key (Authorization: Bearer <key>)'));
    const hash = hashKey(key);
    // constant-time, though only digests are compared: timing would reveal digest bytes, not key bytes
    if (adminHash && timingSafeEqual(Buffer.from(hash), adminHash)) {
      req.auth = { keyId: 'config-admin', role: 'admin', accountId: null };
      return next();
    }
    const [row] = await sql<{ id: string; role: Role; account_id: string | null }[]>`
      update api_keys set last_used_at = now()
      where key_hash = ${hash} and revoked_at is null
      returning id, role, account_id`;
    if (!row) return next(new HttpError(401, 'unauthenticated', 'invalid or revoked API key'));
    req.auth = { keyId: row.id, role: row.role, accountId: row.account_id };
    next();
  };
}

export const requireAdmin: RequestHandler = (req, _res, next) => {
  if (req.auth?.role !== 'admin') return next(new HttpError(403, 'forbidden', 'admin key required'));
  next();
};

/** The caller's account id; client routes never take it from the request. */
export function accountOf(req: Request): string {
  const id = req.auth?.accountId;
  if (!id) throw new HttpError(403, 'forbidden', 'this route needs a key that belongs to an account');
  return id;
}
