import type { CallPricing } from '../../activities/call/ports';

export const CHARGE_MICRO_PER_MINUTE = 200_000;

/** Interim pricing until lib/pricing lands: $0.20/min, per second, rounded up once. */
export const testPricing: CallPricing = {
  holdAmountFor: (sec) => Math.ceil((sec * CHARGE_MICRO_PER_MINUTE) / 60),
  cost: (u) => {
    const chargedAmount = Math.ceil((u.billedSeconds * CHARGE_MICRO_PER_MINUTE) / 60);
    const twilioCost = Math.ceil((u.telephonySeconds * 13_000) / 60);
    return { priceListVersion: 'test', priceList: {}, azureSttCost: 0, llmCost: 0, ttsCost: 0, twilioCost, totalProviderCost: twilioCost, chargedAmount };
  },
};

