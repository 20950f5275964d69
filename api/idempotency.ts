import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Sql } from '../lib/db';
import { HttpError } from './errors';

/**
 * Idempotency-Key for POSTs that create something (draft-ietf-httpapi-idempotency-key-header, as
 * Stripe does it). The key is remembered per account in Postgres with a hash of the request:
 *
 * - first use: the request runs; a 2xx answer is stored and sent, anything else forgets the key
 *   (nothing was created, so the client may fix the request and send it again under the same key);
 * - the same key and request again: the stored answer, with `Idempotent-Replayed: true`;
 * - the same key with a different request (method, path or body): 422;
 * - while the first request is still running: 409 with Retry-After;
 * - a request that died mid-way (process crash) holds its key for LEASE_SEC; after that a retry
 *   runs again. Routes make that re-run safe by deriving what they create from the key
 *   (`idempotentId`), so the re-run finds the row the dead request wrote instead of adding one.
 *
 * Mounted per route, after the route's body parser (the hash covers the parsed body).
 */
const LEASE_SEC = 60;
const KEEP_HOURS = 24;
const HEADER = 'idempotency-key';

interface Claim {
  scope: string;
  key: string;
  /** When the key was first claimed (Postgres text): a key used again after expiry derives new ids. */
  since: string;
}
declare module 'express-serve-static-core' {
  interface Request {
    idempotency?: Claim;
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A UUID (version-4 layout) derived from the caller's scope, the key and what is being created, so
 * a re-run of a request finds the row its first run inserted. undefined without an Idempotency-Key.
 */
export function idempotentId(req: Request, what: string): string | undefined {
  const c = req.idempotency;
  if (!c) return undefined;
  const h = sha256(`${c.scope}\n${c.key}\n${c.since}\n${what}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface IdempotencyOptions {
  /** What to keep of a 2xx body for replays (e.g. leave out a secret shown once). */
  store?: (body: unknown) => unknown;
}

export function idempotency(sql: Sql, opts: IdempotencyOptions = {}): RequestHandler {
  return async (req, res, next) => {
    const key = req.get(HEADER);
    if (key === undefined) return next();
    if (key.length < 1 || key.length > 255)
      return next(new HttpError(400, 'validation_failed', 'Idempotency-Key: 1 to 255 characters'));
    const scope = req.auth?.accountId ?? `key:${req.auth?.keyId ?? 'anonymous'}`;
    const path = req.originalUrl.split('?')[0]!;
    const hash = sha256(
      `${req.method} ${req.originalUrl}\n${typeof req.body === 'string' ? req.body : JSON.stringify(req.body ?? null)}`,
    );

    // 1% of requests sweep expired keys, so the table stays the size of a day's creations
    if (Math.random() < 0.01)
      await sql`delete from idempotency_keys where created_at < now() - make_interval(hours => ${KEEP_HOURS})`;

    const [claimed] = await sql<{ since: string }[]>`
      insert into idempotency_keys (scope, key, method, path, request_hash, locked_until)
      values (${scope}, ${key}, ${req.method}, ${path}, ${hash}, now() + make_interval(secs => ${LEASE_SEC}))
      on conflict (scope, key) do update set
        method = excluded.method, path = excluded.path, request_hash = excluded.request_hash, state = 'running',
        status = null, body = null, locked_until = excluded.locked_until, created_at = now()
      where idempotency_keys.created_at < now() - make_interval(hours => ${KEEP_HOURS})
      returning created_at::text as since`;
    let since = claimed?.since;
    if (!claimed) {
      const [row] = await sql<{ request_hash: string; state: string; status: number | null; body: unknown; running: boolean }[]>`
        select request_hash, state, status, body, locked_until > now() as running from idempotency_keys where scope = ${scope} and key = ${key}`;
      if (!row)
        return next(
          new HttpError(409, 'idempotency_in_progress', 'a request with this Idempotency-Key was just settled; send it again'),
        );
      if (row.request_hash !== hash) {
        return next(
          new HttpError(
            422,
            'idempotency_key_reused',
            'this Idempotency-Key was used for a different request (method, path or body); use a new key for a new request',
          ),
        );
      }
      if (row.state === 'done') {
        res.set('Idempotent-Replayed', 'true').status(row.status!).json(row.body);
        return;
      }
      if (row.running) {
        res.set('Retry-After', '1');
        return next(
          new HttpError(
            409,
            'idempotency_in_progress',
            'a request with this Idempotency-Key is still being processed; retry shortly',
          ),
        );
      }
      // the first request died without answering: this one takes the key over and runs again
      const [taken] = await sql<{ since: string }[]>`
        update idempotency_keys set locked_until = now() + make_interval(secs => ${LEASE_SEC})
        where scope = ${scope} and key = ${key} and state = 'running' and locked_until <= now() returning created_at::text as since`;
      if (!taken) {
        res.set('Retry-After', '1');
        return next(
          new HttpError(
            409,
            'idempotency_in_progress',
            'a request with this Idempotency-Key is still being processed; retry shortly',
          ),
        );
      }
      since = taken.since;
    }
    const claim = { scope, key, since: since! };
    req.idempotency = claim;
    settleWithAnswer(sql, res, claim, opts.store ?? ((b) => b));
    next();
  };
}

/** Stores a 2xx answer before it is sent (so a replay can never miss it), or forgets the key. */
function settleWithAnswer(sql: Sql, res: Response, claim: Claim, store: (body: unknown) => unknown) {
  const json = res.json.bind(res);
  let settled = false;
  res.json = (body: unknown) => {
    if (settled) return json(body);
    settled = true;
    const ok = res.statusCode >= 200 && res.statusCode < 300;
    const write = ok
      ? sql`update idempotency_keys set state = 'done', status = ${res.statusCode}, body = ${sql.json(store(body) as never)}
            where scope = ${claim.scope} and key = ${claim.key}`
      : sql`delete from idempotency_keys where scope = ${claim.scope} and key = ${claim.key} and state = 'running'`;
    write.then(
      () => json(body),
      () => {
        // the answer could not be recorded (the database is unreachable): say so rather than hand out
        // an answer a retry could not replay; the key's lease runs out and a retry runs again
        res.status(503);
        json({ error: 'unavailable', message: 'the answer could not be recorded; retry with the same Idempotency-Key' });
      },
    );
    return res;
  };
  // No answer at all (the process died) leaves the key `running` until its lease ends: see above.
}
