import type { RequestHandler } from 'express';
import type { Sql } from '../lib/db';
import { HttpError } from './errors';

/**
 * Per-key token bucket (keyed on the authenticated key id, not the IP), held in Postgres so the
 * limit is one limit across every API instance behind the load balancer. One statement per request
 * refills, takes a token and says whether it could, under the row's lock, so concurrent requests of
 * one key on different instances are counted once each. Written here rather than taken from a
 * library: the usual ones keep buckets in process memory or in Redis, which aicall does not run.
 *
 * If Postgres cannot answer, the request goes through: authentication has just read Postgres, so
 * this is a blip, and refusing every request would turn it into an outage.
 */
export function rateLimitPerKey(opts: {
  sql: Sql;
  perSecond: number;
  burst: number;
  onError?: (err: Error) => void;
}): RequestHandler {
  const { sql, perSecond: rate, burst } = opts;
  let requests = 0;
  return (req, res, next) => {
    const id = req.auth?.keyId;
    if (!id) return next();
    void (async () => {
      const [b] = await sql<{ allowed: boolean; tokens: number }[]>`
        insert into api_rate_buckets as b (key_id, tokens, refreshed_at, allowed)
        values (${id}, ${burst} - 1, clock_timestamp(), true)
        on conflict (key_id) do update set
          tokens = least(${burst}::float8, b.tokens + extract(epoch from clock_timestamp() - b.refreshed_at) * ${rate}::float8)
                   - case when least(${burst}::float8, b.tokens + extract(epoch from clock_timestamp() - b.refreshed_at) * ${rate}::float8) >= 1 then 1 else 0 end,
          allowed = least(${burst}::float8, b.tokens + extract(epoch from clock_timestamp() - b.refreshed_at) * ${rate}::float8) >= 1,
          refreshed_at = clock_timestamp()
        returning allowed, tokens`;
      // Buckets that have refilled carry no state worth keeping; now and then drop them.
      if (++requests % 1000 === 0)
        void sql`delete from api_rate_buckets where refreshed_at < clock_timestamp() - make_interval(secs => ${burst / rate + 60})`.catch(
          () => {},
        );
      if (b!.allowed) return next();
      const wait = Math.max(1, Math.ceil((1 - b!.tokens) / rate));
      res.set('Retry-After', String(wait));
      next(new HttpError(429, 'rate_limited', `too many requests for this API key; retry in ${wait}s`));
    })().catch((err: Error) => {
      opts.onError?.(err);
      next();
    });
  };
}
