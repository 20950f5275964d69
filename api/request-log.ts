import type { Request, RequestHandler } from 'express';
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

/**
 * The route a request matched, as registered (`/v1/campaigns/:id`), or `(unmatched)`. Used as the
 * metrics label and the logged path: a bounded set of values whatever paths callers invent (raw
 * paths made a new time series per path, and put whatever a caller wrote there, phone numbers
 * included, into logs and the public /metrics).
 */
export function routeLabel(req: Request, path: string): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== 'string') return '(unmatched)';
  // the /v1 router's routes are registered without their mount point
  // (req.path is relative to the router by then, so the caller passes the path it saw on arrival)
  return /^\/v1\//i.test(path) ? `/v1${pattern}` : pattern;
}

/**
 * One log line per request, when it finishes: method, the path with anything but ids and words
 * masked (never the query string, which can carry tokens and phone numbers), the matched route,
 * status, duration, and the ids it concerns. Headers and bodies are never logged: they hold API
 * keys, Twilio signatures and phone numbers.
 */
export function requestLogger(log: Logger): RequestHandler {
  return (req, res, next) => {
    const start = performance.now();
    const path = req.path;
    req.log = log.child(idsOf(path, req.query));
    res.on('finish', () => {
      const ms = performance.now() - start;
      const accountId = req.auth?.accountId ?? undefined;
      const route = routeLabel(req, path);
      const line = {
        ...(accountId ? { accountId } : {}),
        method: req.method,
        path: safePath(path),
        route,
        status: res.statusCode,
        ms: Math.round(ms),
      };
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      req.log![level](line, 'request');
      if (path !== '/metrics')
        httpRequests.observe({ method: methodLabel(req.method), route, status: String(res.statusCode) }, ms / 1000);
    });
    next();
  };
}

/**
 * The path with every segment that is neither a UUID nor a word (a letter first, never three digits
 * in a row) replaced by `:x`, so a phone number or an email a caller put in a path is never logged.
 */
export function safePath(path: string): string {
  return path
    .split('/')
    .map((seg) => (seg === '' || UUID.test(seg) || (/^[a-z][a-z0-9_.-]{0,39}$/i.test(seg) && !/\d{3}/.test(seg)) ? seg : ':x'))
    .join('/')
    .slice(0, 300);
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Node accepts any token as a method; the label set stays bounded. */
const methodLabel = (m: string) => (METHODS.has(m) ? m : 'OTHER');
