/**
 * What the call activities need from outside their own tables: the ledger and the do-not-call
 * list. Kept as ports so the call code composes its writes with the ledger's in one transaction
 * (`tx`), so the wiring (activities/call/index.ts) is the only place that names the modules, and
 * so tests inject their own.
 */
import type postgres from 'postgres';
import type { Sql } from '../../lib/db';

export type Tx = Sql | postgres.TransactionSql<Record<string, never>>;

export interface CallLedger {
  /** Throws a non-retryable ApplicationFailure of type InsufficientCredits when available < amount. */
  hold(args: { accountId: string; amountMicro: number; key: string }, tx: Tx): Promise<{ holdKey: string; amountMicro: number }>;
  post(
    args: { holdKey: string; amountMicro: number; key: string },
    tx: Tx,
  ): Promise<{ chargedMicro: number; releasedMicro: number }>;
  /** Releases a pending hold (all of it). */
  void(args: { holdKey: string; key: string }, tx: Tx): Promise<{ releasedMicro: number }>;
  /** The hold's state: what resolved it, if anything; undefined when there is no such hold. */
  holdState(holdKey: string, tx: Tx): Promise<{ status: 'pending' | 'posted' | 'voided'; amountMicro: number } | undefined>;
}

/**
 * The do-not-call list, consulted before a call holds credit or dials. The wiring
 * (activities/call/index.ts) supplies lib/suppression's lists; tests may pass neverSuppressed.
 */
export interface SuppressionList {
  isSuppressed(q: { accountId: string; campaignId?: string; e164: string }): Promise<boolean>;
}

export const neverSuppressed: SuppressionList = { isSuppressed: async () => false };
