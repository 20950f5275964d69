import { topUps as topUpsMetric } from '../../lib/metrics';
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Sql } from '../../lib/db';
import type { PaymentGateway } from '../../providers/types';
import { BillplzError } from '../../providers/billplz/adapter';
import { campaignWorkflowId } from '../../lib/ids';
import { emitTopUpPaid, type WebhookEmitter } from '../../lib/webhooks';
import { creditsAddedSignal } from '../../workflows/campaign/contract';
import type { BillPaidEvent } from '../../workflows/topup/contract';

export interface TopUpActivityDeps {
  sql: Sql;
  log: Logger;
  gateway: PaymentGateway;
  /** Public origin of the API (Billplz calls back here and sends the payer back here). */
  appOrigin: string;
  /** For resuming campaigns; absent in processes that have no Temporal client. */
  temporal?: Client;
  /** Where `topup.paid` webhooks are emitted from; none: no webhooks. */
  webhooks?: WebhookEmitter;
}

interface TopUpRow {
  id: string;
  account_id: string;
  amount_sen: number;
  credit_amount: number;
  status: string;
  bill_id: string | null;
  bill_url: string | null;
  payer_email: string | null;
  account_name: string;
}

export function createTopUpActivities(deps: TopUpActivityDeps) {
  const { sql, log, gateway, appOrigin, temporal } = deps;
  const origin = appOrigin.replace(/\/+$/, '');
  const load = async (topUpId: string) => {
    const [row] = await sql<TopUpRow[]>`
      select t.id, t.account_id, t.amount_sen, t.credit_amount, t.status, t.bill_id, t.bill_url, t.payer_email, a.name as account_name
      from topups t join accounts a on a.id = t.account_id where t.id = ${topUpId}`;
    if (!row) throw ApplicationFailure.nonRetryable(`no top-up ${topUpId}`, 'TopUpNotFound');
    return row;
  };

  return {
    /**
     * Creates the Billplz bill once. A retry after the bill was stored returns the stored bill; a
     * crash between Billplz answering and the row update leaves an orphan bill nobody was shown
     * (its URL never left this activity), so creating another is safe.
     */
    async createTopUpBill({ topUpId }: { topUpId: string }): Promise<{ billId: string; url: string }> {
      const t = await load(topUpId);
      if (t.bill_id && t.bill_url) return { billId: t.bill_id, url: t.bill_url };
      if (!t.payer_email) throw ApplicationFailure.nonRetryable('no payer email for the bill', 'TopUpInvalid');
      let bill;
      try {
        bill = await gateway.createBill({
          topUpId,
          amountSen: t.amount_sen,
          name: t.account_name,
          email: t.payer_email,
          description: `aicall credit top-up ${topUpId.slice(0, 8)}`,
          callbackUrl: `${origin}/webhooks/billplz`,
          redirectUrl: `${origin}/billing/return`,
        });
      } catch (err) {
        if (err instanceof BillplzError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, 'BillplzRejected');
        throw err;
      }
      const [stored] = await sql<{ bill_id: string; bill_url: string }[]>`
        update topups set bill_id = coalesce(bill_id, ${bill.billId}), bill_url = coalesce(bill_url, ${bill.url}),
          status = case when status = 'creating' then 'pending' else status end, updated_at = now()
        where id = ${topUpId} returning bill_id, bill_url`;
      return { billId: stored!.bill_id, url: stored!.bill_url };
    },

    /** The credit for a paid bill, after checking the bill and amount belong to this top-up. */
    async topUpCreditAmount({ topUpId, billId, amountSen }: { topUpId: string; billId: string; amountSen: number }) {
      const t = await load(topUpId);
      if (t.bill_id !== billId) return { ok: false as const, reason: `bill ${billId} is not this top-up's bill`, amountMicro: 0 };
      if (t.amount_sen !== amountSen)
        return { ok: false as const, reason: `paid ${amountSen} sen, top-up is ${t.amount_sen} sen`, amountMicro: 0 };
      return { ok: true as const, reason: '', amountMicro: t.credit_amount };
    },

    /** Records the outcome; a paid top-up never goes back to another state. */
    async markTopUp({ topUpId, status, paidAt }: { topUpId: string; status: 'paid' | 'expired' | 'failed'; paidAt?: string }) {
      // `status <> ${status}` makes a retried activity a no-op, so the metric counts each change once.
      const changed = await sql`
        update topups set status = ${status}, updated_at = now(),
          paid_at = case when ${status} = 'paid' then coalesce(paid_at, now()) else paid_at end
        where id = ${topUpId} and status <> 'paid' and status <> ${status}`;
      if (changed.count > 0) topUpsMetric.inc({ status });
      log.info({ topUpId, status, paidAt }, 'top-up updated');
      // Every `paid` call emits (never throws; the dedup key is the top-up's), so a retry after a crash
      // between the update and the emit still sends it, and only once.
      if (status === 'paid' && deps.webhooks) await emitTopUpPaid(deps.webhooks, topUpId);
    },

    /**
     * Asks Billplz whether the top-up's bill was paid (before it expires: its callback may have been
     * lost). Only a bill of this top-up, paid for its exact amount, counts as paid.
     */
    async topUpAskBillplz({ topUpId }: { topUpId: string }): Promise<BillPaidEvent | null> {
      const t = await load(topUpId);
      if (!t.bill_id) return null;
      const bill = await gateway.getBill(t.bill_id);
      if (!bill.paid || bill.billId !== t.bill_id) return null;
      if (bill.amountSen !== t.amount_sen) {
        log.error(
          { topUpId, billId: bill.billId, amountSen: bill.amountSen },
          'Billplz reports the bill paid for another amount; not credited',
        );
        return null;
      }
      return { billId: bill.billId, paid: true, amountSen: bill.amountSen, ...(bill.paidAt ? { paidAt: bill.paidAt } : {}) };
    },

    /**
     * Tells the account's paused campaigns that credits arrived (signal creditsAdded): one paused for
     * credits checks its balance and resumes if it covers a call. A campaign whose pause is not
     * stored yet is not missed: it checks its balance itself right after storing the pause.
     */
    async notifyCampaignsOfCredits({ accountId }: { accountId: string }): Promise<{ notified: string[] }> {
      const rows = await sql<{ id: string }[]>`select id from campaigns where account_id = ${accountId} and status = 'paused'`;
      const notified: string[] = [];
      for (const { id } of rows) {
        if (!temporal) break;
        try {
          await temporal.workflow.getHandle(campaignWorkflowId(id)).signal(creditsAddedSignal);
          notified.push(id);
        } catch (err) {
          log.warn({ campaignId: id, err: (err as Error).message }, 'could not tell a campaign about a top-up');
        }
      }
      return { notified };
    },
  };
}
export type TopUpActivities = ReturnType<typeof createTopUpActivities>;
