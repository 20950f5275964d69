import type { Sql } from '../../lib/db';
import { createLedger } from '../../lib/ledger';
import { withLedgerFailures } from '../ledger';
import { countLedgerOp } from '../../lib/metrics';
import { chargeFor, computeCallCost, holdAmountFor, type PriceList } from '../../lib/pricing';
import type { CallLedger, CallPricing } from './ports';

/** The call activities' view of lib/ledger: typed refusals become non-retryable failures named by code. */
export function callLedger(sql: Sql): CallLedger {
  const ledger = createLedger(sql);
  const typed = withLedgerFailures;
  return {
    hold: async (a, tx) => {
      const r = await typed(() => countLedgerOp('hold', () => ledger.hold({ accountId: a.accountId, amount: a.amountMicro, key: a.key }, tx)));
      return { holdKey: r.holdKey, amountMicro: r.amount };
    },
    post: async (a, tx) => {
      const r = await typed(() => countLedgerOp('post', () => ledger.post({ holdKey: a.holdKey, amount: a.amountMicro, key: a.key }, tx)));
      return { chargedMicro: r.charged, releasedMicro: r.released };
    },
    void: async (a, tx) => {
      const r = await typed(() => countLedgerOp('void', () => ledger.void({ holdKey: a.holdKey, key: a.key }, tx)));
      return { releasedMicro: r.released };
    },
  };
}

/**
 * Prices a call with lib/pricing. Provider costs use the seconds Twilio measured; the client's
 * charge uses the billed seconds (already capped at maxDurationSec by the workflow), so a call
 * that ran a second past its maximum costs us that second but is never charged past the hold.
 */
export function callPricing(p: PriceList): CallPricing {
  return {
    holdAmountFor: (sec) => holdAmountFor(sec, p),
    cost(u) {
      const c = computeCallCost(
        {
          sttAudioMs: u.sttAudioMs,
          promptTokens: u.promptTokens,
          completionTokens: u.completionTokens,
          llmReportedCostMicro: u.llmReportedCostMicro,
          ttsCharacters: u.ttsCharacters,
          telephonySeconds: u.telephonySeconds,
        },
        p,
      );
      const { charged } = chargeFor(u.billedSeconds, p);
      const { version: _v, ...prices } = p;
      return {
        priceListVersion: p.version,
        priceList: prices,
        azureSttCost: c.azure_stt_cost,
        llmCost: c.llm_cost,
        ttsCost: c.tts_cost,
        twilioCost: c.twilio_cost,
        totalProviderCost: c.total_provider_cost,
        chargedAmount: charged,
      };
    },
  };
}
