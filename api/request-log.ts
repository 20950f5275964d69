import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { httpRequests } from '../lib/metrics';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request's logger, bound to the ids the request names (accountId, campaignId, callId). */
    log?: Logger;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SEGMENT_ID: Record<string, string> = { campaigns: 'campaignId', calls: 'callId', accounts: 'accountId', topups: 'topUpId' };

/**
 * Ids named by the path (`/campaigns/<uuid>`), or by the `callId` query parameter Twilio's status
 * callbacks carry. Only UUIDs are taken, so nothing else a caller sends can reach a log line.
 */
export function idsOf(path: string, query: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  const parts = path.split('/').filter(Boolean);
  for (let i = 0; i + 1 < parts.length; i++) {
    const field = SEGMENT_ID[parts[i]!];
    if (field && UUID.test(parts[i + 1]!)) ids[field] = parts[i + 1]!;
  }
  const q = query as Record<string, unknown> | undefined;
  for (const k of ['callId', 'campaignId'] as const) {
    const v = q?.[k];
    if (typeof v === 'string' && UUID.test(v)) ids[k] ??= v;
  }
  return ids;
}

/** The path with every id-like segment replaced, for a low-cardinality metrics label. */
export function routeLabel(path: string): string {
  return path.replace(/\/[0-9a-f]{8}-[0-9a-f-]{27}(?=\/|$)/gi, '/:id').replace(/\/\d+(?=\/|$)/g, '/:n').slice(0, 100);
}

/**
 * One log line per request, when it finishes: method, path (never the query string, which can
 * carry tokens and phone numbers), status, duration, and the ids it concerns. Headers and bodies
 * are never logged: they hold API keys, Twilio signatures and phone numbers.
 */
export function requestLogger(log: Logger): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    const path = req.path;
    req.log = log.child(idsOf(path, req.query));
    res.on('finish', () => {
      const ms = performance.now() - start;
      const accountId = req.auth?.accountId ?? undefined;
      const line = { ...(accountId ? { accountId } : {}), method: req.method, path, status: res.statusCode, ms: Math.round(ms) };
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      req.log![level](line, 'request');
      if (path !== '/metrics') httpRequests.observe({ method: req.method, route: routeLabel(path), status: String(res.statusCode) }, ms / 1000);
    });
    next();
  };
}
