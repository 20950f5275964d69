import express, { Router } from 'express';
import type { AppDeps } from '../app';
import { HttpError } from '../errors';
import { topUpWorkflowId } from '../../lib/ids';
import { billplzSettings } from '../../providers/billplz/settings';
import { verifyBillplzCallback, verifyBillplzRedirect } from '../../providers/billplz/signature';
import { billCallbackSignal, type BillPaidEvent } from '../../workflows/topup/contract';
import type { topUpWorkflow } from '../../workflows/topup/workflow';
import { unstorableText } from '../text-guard';
import { consoleUserOf } from '../console/auth/middleware';
import { cleanText } from '../../lib/text/clean';

/**
 * Billplz's server-to-server callback and the payer's redirect back. The callback is trusted only
 * with a valid X-Signature, for a known bill of our collection, for the top-up's exact amount; it
 * is then delivered to the top-up's workflow by signal-with-start (so it lands even if it outruns
 * the workflow or arrives after expiry). The ledger is credited by the workflow alone.
 */
export function billplzWebhooksRouter({ sql, temporal, config, log }: AppDeps): Router {
  const s = billplzSettings(config);
  const r = Router();
  /** A verified payment, delivered to the top-up's workflow by signal-with-start (it lands even after expiry). */
  const deliverPaid = (t: { id: string; account_id: string; amount_sen: number }, billId: string, paidAt: string | undefined) =>
    temporal.workflow.signalWithStart<typeof topUpWorkflow, [BillPaidEvent]>('topUpWorkflow', {
      workflowId: topUpWorkflowId(t.id),
      taskQueue: config.ORCHESTRATION_TASK_QUEUE,
      args: [{ topUpId: t.id, accountId: t.account_id, ttlSec: config.TOPUP_TTL_SEC }],
      signal: billCallbackSignal,
      signalArgs: [{ billId, paid: true, ...(paidAt ? { paidAt: cleanText(paidAt, 64) } : {}), amountSen: t.amount_sen }],
      searchAttributes: { AccountId: [t.account_id] },
    });

  r.post('/webhooks/billplz', express.urlencoded({ extended: false, limit: '32kb' }), async (req, res) => {
    const fields = verifyBillplzCallback((req.body ?? {}) as Record<string, unknown>, s.xSignatureKey);
    if (!fields) {
      log.warn('billplz callback with a missing or bad x_signature rejected');
      throw new HttpError(403, 'bad_signature', 'x_signature does not match');
    }
    if (fields.collection_id !== s.collectionId)
      throw new HttpError(400, 'unknown_collection', 'bill is not from this collection');
    const [t] = await sql<{ id: string; account_id: string; amount_sen: number; status: string }[]>`
      select id, account_id, amount_sen, status from topups where bill_id = ${fields.id ?? ''}`;
    if (!t) throw new HttpError(404, 'unknown_bill', 'no top-up has this bill');
    if (fields.amount !== String(t.amount_sen)) {
      log.error({ topUpId: t.id, billId: fields.id }, 'billplz callback amount does not match the top-up');
      throw new HttpError(400, 'amount_mismatch', 'amount does not match the bill');
    }
    if (fields.paid !== 'true') return res.status(200).json({ ok: true, ignored: 'not paid' });
    if (t.status === 'paid') return res.status(200).json({ ok: true, already: 'paid' });
    await deliverPaid(t, fields.id!, fields.paid_at);
    log.info({ topUpId: t.id, billId: fields.id }, 'billplz paid callback delivered to the top-up workflow');
    res.status(200).json({ ok: true });
  });

  r.get('/billing/return', async (req, res) => {
    const redirect = verifyBillplzRedirect(req.query as Record<string, unknown>, s.xSignatureKey);
    const page = (status: number, title: string, body: string) =>
      res
        .status(status)
        .type('html')
        .send(`<!doctype html><meta charset="utf-8"><title>${title}</title><h1>${title}</h1><p>${body}</p>`);
    if (!redirect) return page(400, 'Invalid link', 'This payment link is not valid.');
    // Signed, but with text no bill id of ours can hold (NUL, a lone surrogate): Postgres would refuse the lookup.
    if (unstorableText(redirect.id)) return page(404, 'Unknown payment', 'We have no record of this payment.');
    const [t] = await sql<{ id: string; account_id: string; status: string; amount_sen: number }[]>`
      select id, account_id, status, amount_sen from topups where bill_id = ${redirect.id}`;
    if (!t) return page(404, 'Unknown payment', 'We have no record of this payment.');
    const rm = `RM ${(t.amount_sen / 100).toFixed(2)}`;
    let paidReported = false;
    if (t.status !== 'paid' && redirect.paid) {
      // Signed by Billplz with our key, like a callback: it tells the workflow too, so a payment whose
      // callback was lost (or came after expiry) is credited all the same.
      paidReported = true;
      try {
        await deliverPaid(t, redirect.id, redirect.paidAt || undefined);
        log.info({ topUpId: t.id, billId: redirect.id }, 'billplz paid redirect delivered to the top-up workflow');
      } catch (err) {
        // The payer still gets the truth; the callback, or the workflow asking Billplz, credits it.
        log.error({ topUpId: t.id, err: (err as Error).message }, 'could not deliver a paid redirect to the top-up workflow');
      }
    }
    // a payer signed in to the console goes on to the top-up's console page, which follows it live
    if (await consoleUserOf(sql, req, config, t.account_id)) return res.redirect(303, `/app/credits/topups/${t.id}`);
    if (t.status === 'paid') return page(200, 'Payment received', `${rm} has been credited to your account.`);
    if (paidReported)
      return page(
        200,
        'Payment received',
        `Billplz reports ${rm} paid; we are crediting it to your account. Refresh this page in a moment.`,
      );
    if (t.status === 'pending' || t.status === 'creating')
      return page(200, 'Payment not completed', `${rm} was not paid. You can try again from your billing page.`);
    return page(200, 'Payment not completed', `This top-up is ${t.status} and was not paid; nothing was charged.`);
  });
  return r;
}
