import { ApplicationFailure, condition, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TopUpActivities } from '../../activities/topup';
import type { LedgerActivities } from '../../activities/ledger';
import { ledgerKeys } from '../../lib/ids';
import {
  billCallbackSignal,
  paymentLinkUpdate,
  topUpStatusQuery,
  type BillPaidEvent,
  type PaymentLink,
  type TopUpInput,
} from './contract';

const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' } as const;
/** Talking to Billplz (and to campaigns) gives up after a while: a bill not created fails the top-up; a bill status not read leaves it to the callback. */
const bounded = proxyActivities<TopUpActivities>({ startToCloseTimeout: '30 seconds', retry: { ...retry, maximumAttempts: 20 } });
/** Once the payer has paid, crediting and recording it retry until done: no outage may leave a payment uncredited. */
const untilDone = proxyActivities<TopUpActivities & LedgerActivities>({ startToCloseTimeout: '30 seconds', retry });

/**
 * One top-up (id `topup/<topUpId>`), as the design's Top-ups section tells it: create the Billplz
 * bill; wait for the paid callback (or the payer's signed paid redirect, which the API forwards the
 * same way) until the bill's TTL; before expiring, ask Billplz, in case the callback was lost; then
 * credit the ledger exactly once (key `topup/<id>:credit`), record the top-up paid and tell the
 * account's paused campaigns.
 *
 * A paid callback after expiry still credits: the API delivers every callback by signal-with-start,
 * so one arriving after this run closed starts a new run that goes straight to crediting.
 */
export async function topUpWorkflow(input: TopUpInput): Promise<PaymentLink> {
  let link: PaymentLink = { topUpId: input.topUpId, status: 'creating' };
  let payment: BillPaidEvent | undefined;
  setHandler(topUpStatusQuery, () => link);
  setHandler(paymentLinkUpdate, async () => {
    await condition(() => link.status !== 'creating');
    return link;
  });
  setHandler(billCallbackSignal, (e) => {
    if (e.paid) payment ??= e;
  });

  if (!payment) {
    try {
      const bill = await bounded.createTopUpBill({ topUpId: input.topUpId });
      link = { ...link, billId: bill.billId, url: bill.url, status: 'pending' };
    } catch (err) {
      link = { ...link, status: 'failed', error: (err as Error).message };
      await untilDone.markTopUp({ topUpId: input.topUpId, status: 'failed' });
      return link;
    }
    if (!(await condition(() => payment !== undefined, input.ttlSec * 1000)))
      payment ??= (await askBillplz(input.topUpId)) ?? undefined;
  }
  if (!payment) {
    await untilDone.markTopUp({ topUpId: input.topUpId, status: 'expired' });
    // A callback may land while this run expires: should one arrive while the completing task is in
    // flight, the server refuses the completion and this code runs again with it applied.
    if (!payment) return (link = { ...link, status: 'expired' });
  }

  const credit = await untilDone.topUpCreditAmount({
    topUpId: input.topUpId,
    billId: payment.billId,
    amountSen: payment.amountSen,
  });
  if (!credit.ok) {
    // The API checks the amount before signalling; this guards a bill/amount mismatch regardless.
    log.error('top-up payment does not match the top-up; nothing credited', { topUpId: input.topUpId, reason: credit.reason });
    throw ApplicationFailure.nonRetryable(`top-up ${input.topUpId}: ${credit.reason}`, 'TopUpMismatch');
  }
  await untilDone.ledgerCredit({
    accountId: input.accountId,
    amountMicro: credit.amountMicro,
    key: ledgerKeys.topUpCredit(input.topUpId),
    reason: `Billplz bill ${payment.billId}`,
  });
  await untilDone.markTopUp({ topUpId: input.topUpId, status: 'paid', paidAt: payment.paidAt });
  link = { ...link, billId: payment.billId, status: 'paid' };
  await bounded.notifyCampaignsOfCredits({ accountId: input.accountId });
  return link;
}

/** Billplz's own word on the bill; an unreachable Billplz is not a payment (a late callback still credits). */
async function askBillplz(topUpId: string): Promise<BillPaidEvent | null> {
  try {
    return await bounded.topUpAskBillplz({ topUpId });
  } catch (err) {
    log.warn('could not ask Billplz about the bill before expiry', { topUpId, error: String(err) });
    return null;
  }
}
