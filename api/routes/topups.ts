import { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { notFound } from '../errors';
import { createTopUp, getTopUp, listTopUps } from '../credits/topups';

const TopUpBody = z.object({
  /** MYR sen (RM 1.00 = 100) */
  amount: z.number().int().positive(),
  email: z.email().optional(),
}).strict();

/**
 * Credit top-ups (api/credits/topups.ts holds the rules): POST answers with the Billplz payment URL;
 * a retried POST with the same Idempotency-Key joins the same top-up and workflow.
 */
export function topUpsRouter(deps: AppDeps): Router {
  const { sql } = deps;
  const r = Router();

  r.post('/credits/topups', async (req, res) => {
    const accountId = accountOf(req);
    const body = TopUpBody.parse(req.body ?? {});
    const t = await createTopUp(deps, accountId, { amount: body.amount, email: body.email, idempotencyKey: req.get('idempotency-key') });
    res.status(t.created ? 201 : 200).json(t.topUp);
  });

  r.get('/credits/topups', async (req, res) => {
    res.json({ topups: await listTopUps(sql, accountOf(req)) });
  });

  r.get('/credits/topups/:id', async (req, res) => {
    const accountId = accountOf(req);
    const id = z.uuid().safeParse(req.params.id);
    const t = id.success ? await getTopUp(sql, accountId, id.data) : undefined;
    if (!t) throw notFound('top-up');
    res.json(t);
  });
  return r;
}
