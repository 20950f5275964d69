import type { Sql } from '../../lib/db';
import { createLedger } from '../../lib/ledger';
import { withLedgerFailures } from '../ledger';
import { countLedgerOp } from '../../lib/metrics';
import type { CallLedger } from './ports';

/** The call activities' view of lib/ledger: typed refusals become non-retryable failures named by code. */
export function callLedger(sql: Sql): CallLedger {
  const ledger = createLedger(sql);
  const typed = withLedgerFailures;
  return {
    hold: async (a, tx) => {
      const r = await typed(() =>
        countLedgerOp('hold', () => ledger.hold({ accountId: a.accountId, amount: a.amountMicro, key: a.key }, tx)),
      );
      return { holdKey: r.holdKey, amountMicro: r.amount };
    },
    post: async (a, tx) => {
      const r = await typed(() =>
        countLedgerOp('post', () => ledger.post({ holdKey: a.holdKey, amount: a.amountMicro, key: a.key }, tx)),
      );
      return { chargedMicro: r.charged, releasedMicro: r.released };
    },
    void: async (a, tx) => {
      const r = await typed(() => countLedgerOp('void', () => ledger.void({ holdKey: a.holdKey, key: a.key }, tx)));
      return { releasedMicro: r.released };
    },
    holdState: async (holdKey, tx) => {
      const h = await ledger.holdStatus(holdKey, tx);
      return h && { status: h.status, amountMicro: h.amount };
    },
  };
}
