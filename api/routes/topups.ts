import { Router } from 'express';
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { AppDeps } from '../app';
import { accountOf } from '../auth';
import { HttpError, notFound } from '../errors';
import { topUpWorkflowId } from '../../lib/ids';
import { paymentLinkUpdate, type TopUpInput } from '../../workflows/topup/contract';
import type { topUpWorkflow } from '../../workflows/topup/workflow';
import type { TopUp } from '../contract/credits';
import { idempotency } from '../idempotency';

export const TopUpBody = z.object({
  /** MYR sen (RM 1.00 = 100) */
  amount: z.number().int().positive(),
  email: z.email().optional(),
}).strict();

/** A UUID derived from the account and its Idempotency-Key, so a retried POST finds the same top-up. */
function topUpIdFor(accountId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`${accountId}:${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface TopUpRow {
  id: string;
  amount_sen: number;
  credit_amount: number;
  micro_per_sen: number;
  status: TopUp['status'];
  bill_url: string | null;
  created_at: Date;
  paid_at: Date | null;
}
const view = (t: TopUpRow): TopUp => ({
  id: t.id,
  amount: t.amount_sen,
  amountCurrency: 'MYR',
  credit: t.credit_amount,
  creditPerSen: t.micro_per_sen,
  status: t.status,
  paymentUrl: t.status === 'pending' || t.status === 'creating' ? t.bill_url : null,
  createdAt: t.created_at.toISOString(),
  paidAt: t.paid_at?.toISOString() ?? null,
});

/**
 * Credit top-ups. POST creates the top-up and starts its workflow with update-with-start, so the
 * Billplz payment URL comes back in the same request; a retried POST with the same Idempotency-Key
 * joins the same top-up and workflow (conflict policy USE_EXISTING).
 */
export function topUpsRouter({ sql, temporal, config }: AppDeps): Router {
  const r = Router();

  r.post('/credits/topups', idempotency(sql), async (req, res) => {
    const accountId = accountOf(req);
    const body = TopUpBody.parse(req.body ?? {});
    if (body.amount < config.TOPUP_MIN_SEN || body.amount > config.TOPUP_MAX_SEN) {
      throw new HttpError(400, 'validation_failed', `amount: must be between ${config.TOPUP_MIN_SEN} and ${config.TOPUP_MAX_SEN} sen`);
    }
    const idemKey = req.get('idempotency-key');
    const [acct] = await sql<{ billing_email: string | null }[]>`select billing_email from accounts where id = ${accountId}`;
    const email = body.email ?? acct?.billing_email;
    if (!email) throw new HttpError(400, 'validation_failed', 'email: required (the account has no billing email)');

    const id = idemKey ? topUpIdFor(accountId, idemKey) : randomUUID();
    const perSen = config.TOPUP_MICRO_PER_SEN;
    await sql`
      insert into topups (id, account_id, amount_sen, micro_per_sen, credit_amount, payer_email, request_key)
      values (${id}, ${accountId}, ${body.amount}, ${perSen}, ${body.amount * perSen}, ${email}, ${idemKey ?? null})
      on conflict (id) do nothing`;
    const [row] = await sql<(TopUpRow & { account_id: string })[]>`select * from topups where id = ${id}`;
    if (!row || row.account_id !== accountId) throw new HttpError(409, 'idempotency_conflict', 'Idempotency-Key already used');
    if (row.amount_sen !== body.amount) throw new HttpError(409, 'idempotency_conflict', 'Idempotency-Key was used for a different amount');
    if (['paid', 'expired', 'failed'].includes(row.status)) return res.status(200).json(view(row));

    const input: TopUpInput = { topUpId: id, accountId, ttlSec: config.TOPUP_TTL_SEC };
    const link = await temporal.workflow.executeUpdateWithStart(paymentLinkUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof topUpWorkflow>('topUpWorkflow', {
        workflowId: topUpWorkflowId(id),
        taskQueue: config.ORCHESTRATION_TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        searchAttributes: { AccountId: [accountId] },
      }),
    });
    const [fresh] = await sql<TopUpRow[]>`select * from topups where id = ${id}`;
    if (link.status === 'failed') throw new HttpError(502, 'payment_gateway_error', `could not create the bill: ${link.error ?? 'unknown error'}`);
    res.status(201).json({ ...view(fresh!), paymentUrl: link.url ?? null });
  });

  r.get('/credits/topups', async (req, res) => {
    const accountId = accountOf(req);
    const rows = await sql<TopUpRow[]>`select * from topups where account_id = ${accountId} order by created_at desc limit 100`;
    res.json({ topups: rows.map(view) });
  });

  r.get('/credits/topups/:id', async (req, res) => {
    const accountId = accountOf(req);
    const id = z.uuid().safeParse(req.params.id);
    const [row] = id.success ? await sql<TopUpRow[]>`select * from topups where id = ${id.data} and account_id = ${accountId}` : [];
    if (!row) throw notFound('top-up');
    res.json(view(row));
  });
  return r;
}
