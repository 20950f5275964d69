import { ApplicationFailure, condition, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { TopUpActivities } from '../../activities/topup';
import type { LedgerActivities } from '../../activities/ledger';
import { ledgerKeys } from '../../lib/ids';
import { billCallbackSignal, paymentLinkUpdate, topUpStatusQuery, type BillPaidEvent, type PaymentLink, type TopUpInput } from './contract';

const acts = proxyActivities<TopUpActivities & LedgerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 20 },
});

/**
 * One top-up (id `topup/<topUpId>`): create the Billplz bill, wait for the verified paid callback or
 * the bill's expiry, credit the ledger exactly once (key `topup/<id>:credit`), record the top-up as
 * paid and resume the account's campaigns paused for credits.
 *
 * A paid callback after expiry still credits: the payer's money was taken. The API delivers every
 * callback by signal-with-start, so one arriving after this run closed starts a new run, which
 * sees the payment before it would create a bill and goes straight to crediting (the ledger key
 * makes a second credit a no-op).
 */
export async function topUpWorkflow(input: TopUpInput): Promise<PaymentLink> {
  let state: PaymentLink = { topUpId: input.topUpId, status: 'creating' };
  let payment: BillPaidEvent | undefined;

  setHandler(topUpStatusQuery, () => state);
  setHandler(paymentLinkUpdate, async () => {
    await condition(() => state.status !== 'creating');
    return state;
  });
  setHandler(billCallbackSignal, (e) => {
    if (e.paid && !payment) payment = e;
  });

  const setStatus = (status: PaymentLink['status']) => {
    state = { ...state, status };
    upsertSearchAttributes({ AccountId: [input.accountId] });
  };

  if (!payment) {
    try {
      const bill = await acts.createTopUpBill({ topUpId: input.topUpId });
      state = { ...state, billId: bill.billId, url: bill.url };
      setStatus('pending');
    } catch (err) {
      state = { ...state, status: 'failed', error: (err as Error).message };
      await acts.markTopUp({ topUpId: input.topUpId, status: 'failed' });
      return state;
    }
    await condition(() => payment !== undefined, input.ttlSec * 1000);
  }

  if (!payment) {
    await acts.markTopUp({ topUpId: input.topUpId, status: 'expired' });
    // A callback can reach this run while it is expiring; checked again here, and should one land
    // while the completing task is in flight, the server refuses the completion and this code
    // runs again with the signal applied, so a payment is never dropped.
    if (!payment) {
      setStatus('expired');
      return state;
    }
  }

  const credit = await acts.topUpCreditAmount({ topUpId: input.topUpId, billId: payment.billId, amountSen: payment.amountSen });
  if (!credit.ok) {
    // The API checks the amount before signalling; this guards a bill/amount mismatch regardless.
    log.error('top-up callback does not match the top-up; nothing credited', { topUpId: input.topUpId, reason: credit.reason });
    throw ApplicationFailure.nonRetryable(`top-up ${input.topUpId}: ${credit.reason}`, 'TopUpMismatch');
  }
  await acts.ledgerCredit({ accountId: input.accountId, amountMicro: credit.amountMicro, key: ledgerKeys.topUpCredit(input.topUpId), reason: `Billplz bill ${payment.billId}` });
  await acts.markTopUp({ topUpId: input.topUpId, status: 'paid', paidAt: payment.paidAt });
  state = { ...state, billId: payment.billId };
  setStatus('paid');
  await acts.resumeCampaignsPausedForCredits({ accountId: input.accountId });
  return state;
}
