/**
 * What the call activities need from the ledger and the price list. Kept as a port so the call
 * code composes its own writes with the ledger's in one transaction (`tx`), and so the wiring in
 * activities/call/wiring.ts is the only place that names the ledger module.
 */
import type postgres from 'postgres';
import type { Sql } from '../../lib/db';

export type Tx = Sql | postgres.TransactionSql<Record<string, never>>;

export interface CallLedger {
  /** Throws a non-retryable ApplicationFailure of type InsufficientCredits when available < amount. */
  hold(args: { accountId: string; amountMicro: number; key: string }, tx: Tx): Promise<{ holdKey: string; amountMicro: number }>;
  post(args: { holdKey: string; amountMicro: number; key: string }, tx: Tx): Promise<{ chargedMicro: number; releasedMicro: number }>;
  void(args: { holdKey: string; key: string }, tx: Tx): Promise<{ releasedMicro: number }>;
}

export interface CallUsageForCost {
  billedSeconds: number;
  telephonySeconds: number;
  sttAudioMs: number;
  promptTokens: number;
  completionTokens: number;
  llmReportedCostMicro?: number;
  ttsCharacters: number;
}

/** The money columns of a call_costs row, all integer micro-units. */
export interface CallCost {
  priceListVersion: string;
  priceList: unknown;
  azureSttCost: number;
  llmCost: number;
  ttsCost: number;
  twilioCost: number;
  totalProviderCost: number;
  chargedAmount: number;
}

export interface CallPricing {
  /** Credits held for a call of at most `maxDurationSec` billed seconds at the charge rate. */
  holdAmountFor(maxDurationSec: number): number;
  cost(usage: CallUsageForCost): CallCost;
}
