import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf, requireAdmin } from '../auth';
import { HttpError } from '../errors';
import { accountSummary, adminSummary, type Window } from '../../lib/reports/summary';

const MAX_DAYS = 400;
const DAY_MS = 86_400_000;
const instant = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s))
  // year 0 (1 BC) is a valid JS date but not a Postgres timestamp
  .refine((d) => d.getUTCFullYear() >= 1, 'must be in year 1 or later');
export const ReportWindowQuery = z.object({ from: instant.optional(), to: instant.optional() }).strict();

/**
 * `from`/`to`: ISO dates (midnight UTC) or date-times with an offset; the window is [from, to).
 * Defaults: to = now, from = to - 30 days. At most 400 days, so a report stays one cheap query.
 */
export function parseWindow(query: unknown): Window {
  const q = ReportWindowQuery.parse(query);
  const to = q.to ?? new Date();
  const from = q.from ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new HttpError(400, 'invalid_window', '`from` must be before `to`');
  if (to.getTime() - from.getTime() > MAX_DAYS * DAY_MS)
    throw new HttpError(400, 'invalid_window', `the window may span at most ${MAX_DAYS} days`);
  return { from, to };
}

/** GET /v1/reports/summary (the key's account) and GET /v1/admin/reports/summary (all accounts). */
export function reportsRouter({ sql }: AppDeps): Router {
  const r = Router();
  r.get('/reports/summary', async (req, res) => {
    const accountId = accountOf(req);
    const w = parseWindow(req.query);
    res.json({ accountId, from: w.from.toISOString(), to: w.to.toISOString(), ...(await accountSummary(sql, accountId, w)) });
  });
  r.get('/admin/reports/summary', requireAdmin, async (req, res) => {
    const w = parseWindow(req.query);
    res.json({ from: w.from.toISOString(), to: w.to.toISOString(), ...(await adminSummary(sql, w)) });
  });
  return r;
}
