import { createHash, randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, type Client } from '@temporalio/client';
import type { Sql } from '../../lib/db';
import type { Config } from '../../lib/config';
import { HttpError } from '../errors';
import { topUpWorkflowId } from '../../lib/ids';
import { paymentLinkUpdate, type TopUpInput } from '../../workflows/topup/contract';
import type { topUpWorkflow } from '../../workflows/topup/workflow';
import type { TopUp } from '../contract/credits';

/**
 * Credit top-ups as the account sees them: shared by /v1/credits/topups (api/routes/topups.ts) and
 * the console's credits pages, so the rules (limits, idempotency, the bill's payer) live once.
 */
export interface TopUpRow {
  id: string;
  amount_sen: number;
  credit_amount: number;
  micro_per_sen: number;
  status: TopUp['status'];
  bill_url: string | null;
  created_at: Date;
  paid_at: Date | null;
}

export const topUpView = (t: TopUpRow): TopUp => ({
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
export type TopUpView = ReturnType<typeof topUpView>;

/** A UUID derived from the account and its Idempotency-Key, so a retried POST finds the same top-up. */
function topUpIdFor(accountId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`${accountId}:${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

interface Deps {
  sql: Sql;
  temporal: Client;
  config: Pick<Config, 'TOPUP_MIN_SEN' | 'TOPUP_MAX_SEN' | 'TOPUP_MICRO_PER_SEN' | 'TOPUP_TTL_SEC' | 'ORCHESTRATION_TASK_QUEUE'>;
}

/** The amount rule, with the message the API gives (field `amount`). */
export function checkTopUpAmount(config: Deps['config'], amountSen: number): string | undefined {
  if (amountSen < config.TOPUP_MIN_SEN || amountSen > config.TOPUP_MAX_SEN)
    return `must be between ${config.TOPUP_MIN_SEN} and ${config.TOPUP_MAX_SEN} sen`;
  return undefined;
}

/**
 * Creates the top-up and starts its workflow with update-with-start, so the Billplz payment URL
 * comes back in the same request; a retry with the same idempotency key joins the same top-up and
 * workflow (conflict policy USE_EXISTING). `created` is false for a top-up that already ended.
 */
export async function createTopUp(
  { sql, temporal, config }: Deps,
  accountId: string,
  req: { amount: number; email?: string; idempotencyKey?: string },
): Promise<{ created: boolean; topUp: TopUpView }> {
  const bad = checkTopUpAmount(config, req.amount);
  if (bad) throw new HttpError(400, 'validation_failed', `amount: ${bad}`);
  const idemKey = req.idempotencyKey;
  if (idemKey !== undefined && (idemKey.length < 1 || idemKey.length > 255))
    throw new HttpError(400, 'validation_failed', 'Idempotency-Key: 1 to 255 characters');
  const [acct] = await sql<{ billing_email: string | null }[]>`select billing_email from accounts where id = ${accountId}`;
  const email = req.email ?? acct?.billing_email;
  if (!email) throw new HttpError(400, 'validation_failed', 'email: required (the account has no billing email)');

  const id = idemKey ? topUpIdFor(accountId, idemKey) : randomUUID();
  const perSen = config.TOPUP_MICRO_PER_SEN;
  await sql`
    insert into topups (id, account_id, amount_sen, micro_per_sen, credit_amount, payer_email, request_key)
    values (${id}, ${accountId}, ${req.amount}, ${perSen}, ${req.amount * perSen}, ${email}, ${idemKey ?? null})
    on conflict (id) do nothing`;
  const [row] = await sql<(TopUpRow & { account_id: string })[]>`select * from topups where id = ${id}`;
  if (!row || row.account_id !== accountId) throw new HttpError(409, 'idempotency_conflict', 'Idempotency-Key already used');
  if (row.amount_sen !== req.amount)
    throw new HttpError(409, 'idempotency_conflict', 'Idempotency-Key was used for a different amount');
  if (['paid', 'expired', 'failed'].includes(row.status)) return { created: false, topUp: topUpView(row) };

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
  if (link.status === 'failed')
    throw new HttpError(502, 'payment_gateway_error', `could not create the bill: ${link.error ?? 'unknown error'}`);
  return { created: true, topUp: { ...topUpView(fresh!), paymentUrl: link.url ?? null } };
}

export async function listTopUps(sql: Sql, accountId: string, limit = 100): Promise<TopUpView[]> {
  const rows = await sql<
    TopUpRow[]
  >`select * from topups where account_id = ${accountId} order by created_at desc limit ${limit}`;
  return rows.map(topUpView);
}

export async function getTopUp(sql: Sql, accountId: string, id: string): Promise<TopUpView | undefined> {
  const [row] = await sql<TopUpRow[]>`select * from topups where id = ${id} and account_id = ${accountId}`;
  return row && topUpView(row);
}

/** The account's balance in its credit currency (GET /v1/credits, the console's header and dashboard). */
export async function creditBalance(
  sql: Sql,
  ledger: { balance(accountId: string): Promise<{ available: number; held: number }> },
  accountId: string,
) {
  const [acct] = await sql<{ currency: string }[]>`select currency from accounts where id = ${accountId}`;
  const b = await ledger.balance(accountId);
  return { available: b.available, held: b.held, currency: acct?.currency ?? 'USD' };
}
