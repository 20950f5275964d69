import type { RequestHandler } from 'express';
import { HttpError } from './errors';

/**
 * Per-key token bucket, in process memory. Written here rather than taken from a library because
 * it is a dozen lines and keys on the authenticated key id (not the IP). Each API process limits on
 * its own: with N replicas a key gets up to N times the rate, which is acceptable for abuse
 * protection; a shared limit would need Redis.
 */
export function rateLimitPerKey(opts: { perSecond: number; burst: number; now?: () => number }): RequestHandler {
  const now = opts.now ?? (() => performance.now());
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweepAt = now();
  return (req, res, next) => {
    const id = req.auth?.keyId;
    if (!id) return next();
    const t = now();
    if (t - sweepAt > 60_000) {
      // full buckets carry no state worth keeping
      for (const [k, b] of buckets) if (b.tokens + ((t - b.at) / 1000) * opts.perSecond >= opts.burst) buckets.delete(k);
      sweepAt = t;
    }
    const b = buckets.get(id) ?? { tokens: opts.burst, at: t };
    b.tokens = Math.min(opts.burst, b.tokens + ((t - b.at) / 1000) * opts.perSecond);
    b.at = t;
    buckets.set(id, b);
    if (b.tokens < 1) {
      const wait = Math.ceil((1 - b.tokens) / opts.perSecond);
      res.set('Retry-After', String(wait));
      return next(new HttpError(429, 'rate_limited', `too many requests for this API key; retry in ${wait}s`));
    }
    b.tokens -= 1;
    next();
  };
}
