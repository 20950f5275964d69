import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { createLedger, CREDIT_CURRENCY } from '../../lib/ledger';

// year 0 (1 BC) is a valid JS date but not a Postgres timestamp
const instant = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .refine((d) => d.getUTCFullYear() >= 1, 'must be in year 1 or later');
export const StatementQuery = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z
      .string()
      .regex(/^\d{1,15}$/, 'cursor must be the nextCursor of a previous page')
      .optional(),
  })
  .strict();

/**
 * The caller's credit balance and statement, in micro-units of the credit currency (USD) whatever
 * the account's billing currency: top-ups convert MYR at the rate stored on each top-up.
 */
export function creditsRouter({ sql }: AppDeps): Router {
  const ledger = createLedger(sql);
  const r = Router();

  r.get('/credits', async (req, res) => {
    const accountId = accountOf(req);
    const b = await ledger.balance(accountId);
    res.json({ available: b.available, held: b.held, currency: CREDIT_CURRENCY, unit: 'micro' });
  });

  r.get('/credits/statement', async (req, res) => {
    const accountId = accountOf(req);
    const q = StatementQuery.parse(req.query);
    const page = await ledger.statement(accountId, {
      from: q.from,
      to: q.to,
      limit: q.limit,
      cursor: q.cursor,
    });
    res.json({ entries: page.entries, nextCursor: page.nextCursor === null ? null : String(page.nextCursor) });
  });
  return r;
}
