import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../lib/db';
import { createLedger, LedgerError } from '../lib/ledger';
import { countLedgerOp } from '../lib/metrics';

/**
 * Ledger operations for workflows. Keys come from lib/ids.ts `ledgerKeys` (workflow id + step), so
 * an activity retried after a crash is a replay, not a second charge. Typed ledger refusals are
 * non-retryable failures whose `type` is the error's code (e.g. 'InsufficientCredits'); anything
 * else (a lost connection) is retried by Temporal.
 */
/** Runs a ledger operation; a typed refusal becomes a non-retryable failure named by its code. */
export async function withLedgerFailures<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LedgerError) throw ApplicationFailure.nonRetryable(err.message, err.code);
    throw err;
  }
}

export function createLedgerActivities(sql: Sql) {
  const ledger = createLedger(sql);
  const typed = withLedgerFailures;
  return {
    async ledgerHold(a: { accountId: string; amountMicro: number; key: string }) {
      const r = await typed(() =>
        countLedgerOp('hold', () => ledger.hold({ accountId: a.accountId, amount: a.amountMicro, key: a.key })),
      );
      return { holdKey: r.holdKey, amountMicro: r.amount };
    },
    async ledgerPost(a: { holdKey: string; amountMicro: number; key: string }) {
      const r = await typed(() =>
        countLedgerOp('post', () => ledger.post({ holdKey: a.holdKey, amount: a.amountMicro, key: a.key })),
      );
      return { chargedMicro: r.charged, releasedMicro: r.released };
    },
    async ledgerVoid(a: { holdKey: string; key: string }) {
      const r = await typed(() => countLedgerOp('void', () => ledger.void({ holdKey: a.holdKey, key: a.key })));
      return { releasedMicro: r.released };
    },
    async ledgerCredit(a: {
      accountId: string;
      amountMicro: number;
      key: string;
      reason: string;
      metadata?: Record<string, unknown>;
    }) {
      const r = await typed(() =>
        countLedgerOp('credit', () =>
          ledger.credit({ accountId: a.accountId, amount: a.amountMicro, key: a.key, reason: a.reason, metadata: a.metadata }),
        ),
      );
      return { availableMicro: r.available };
    },
    async ledgerBalance(a: { accountId: string }) {
      const r = await typed(() => ledger.balance(a.accountId));
      return { availableMicro: r.available, heldMicro: r.held };
    },
  };
}
export type LedgerActivities = ReturnType<typeof createLedgerActivities>;
