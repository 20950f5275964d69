import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface TopUpInput {
  topUpId: string;
  accountId: string;
  /** Seconds the bill stays payable before the top-up expires. */
  ttlSec: number;
}

export type TopUpStatus = 'creating' | 'pending' | 'paid' | 'expired' | 'failed';

export interface PaymentLink {
  topUpId: string;
  status: TopUpStatus;
  billId?: string;
  url?: string;
  error?: string;
}

/** A verified Billplz callback, forwarded by the API (signal-with-start keyed by the top-up). */
export interface BillPaidEvent {
  billId: string;
  paid: boolean;
  paidAt?: string;
  amountSen: number;
}

/** Update-with-start target: returns once the bill exists (or creating it failed). */
export const paymentLinkUpdate = defineUpdate<PaymentLink>('paymentLink');
export const billCallbackSignal = defineSignal<[BillPaidEvent]>('billCallback');
export const topUpStatusQuery = defineQuery<PaymentLink>('topUpStatus');
