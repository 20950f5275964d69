import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { notFound } from '../errors';
import { idempotency } from '../idempotency';
import { createTopUp, getTopUp, listTopUps } from '../credits/topups';

export const TopUpBody = z
  .object({
    /** MYR sen (RM 1.00 = 100) */
    amount: z.number().int().positive(),
    email: z.email().optional(),
  })
  .strict();

/**
 * Credit top-ups over /v1. The rules (limits, the payer, the id derived from the Idempotency-Key,
 * update-with-start for the payment URL) live in api/credits/topups.ts, shared with the console.
 */
export function topUpsRouter({ sql, temporal, config }: AppDeps): Router {
  const r = Router();

  r.post('/credits/topups', idempotency(sql), async (req, res) => {
    const accountId = accountOf(req);
    const body = TopUpBody.parse(req.body ?? {});
    const { created, topUp } = await createTopUp({ sql, temporal, config }, accountId, {
      ...body,
      idempotencyKey: req.get('idempotency-key'),
    });
    res.status(created ? 201 : 200).json(topUp);
  });

  r.get('/credits/topups', async (req, res) => {
    res.json({ topups: await listTopUps(sql, accountOf(req)) });
  });

  r.get('/credits/topups/:id', async (req, res) => {
    const id = z.uuid().safeParse(req.params.id);
    const topUp = id.success ? await getTopUp(sql, accountOf(req), id.data) : undefined;
    if (!topUp) throw notFound('top-up');
    res.json(topUp);
  });
  return r;
}
