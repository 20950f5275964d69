/**
 * priceCall: the one place usage becomes money (README: Pricing, with a worked example).
 * Settlement persists its result and nothing else computes a charge; the hold is the charge of
 * the longest call (holdFor), from the same billing rule. Pure: no I/O, no Node imports.
 *
 * ROUNDING RULE: each provider component is computed exactly as a fraction and rounded UP to the
 * next whole micro-unit, once, here; the provider cost is the sum of the rounded components.
 * Rounding up never under-estimates a provider bill; the error is < 1 micro-unit per component.
 * The charge is the billed seconds (billing rule) at the per-minute rate, rounded up once.
 *
 * CAPS, all here: billed time never exceeds the call's maximum duration, and the charge never
 * exceeds what was held (it cannot: the hold is the charge of the maximum duration under the same
 * price list, which the call's quote fixes; the cap is the ledger's rule made explicit).
 */
import { billedSeconds, mulDivCeil, type PriceList } from './price-list';

/** What an answered call used. */
export interface CallUsageToPrice {
  /** Answered time as Twilio measured it (CallDuration), or the workflow's own measure when that callback was lost. */
  telephonySeconds: number;
  sttAudioMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Cost the LLM API reported, micro-units; preferred over the token rate when present. */
  llmReportedCostMicro?: number;
  ttsCharacters: number;
}

/** The hold the charge is settled against. */
export interface HoldTerms {
  amountMicro: number;
  maxDurationSec: number;
}

export interface CallPriceComponents {
  sttMicro: number;
  llmMicro: number;
  ttsMicro: number;
  /** Twilio's per-minute charge, in started `telephonyIncrementSec` steps. */
  telephonyMicro: number;
  /** Twilio's answering-machine detection fee. */
  amdMicro: number;
}

export interface CallPrice {
  priceListVersion: string;
  components: CallPriceComponents;
  providerCostMicro: number;
  /** The answered time counted: Twilio's (or our) measure, at least 1 s, capped at the maximum duration. */
  durationSec: number;
  /** Seconds the client is billed for: the billing rule applied to durationSec. */
  billedSeconds: number;
  /** What the client pays; ≤ hold.amountMicro. */
  charged: number;
  /** charged − providerCostMicro; negative only when usage outran the billing rule (alert: negative_margin). */
  margin: number;
}

/** The client's charge for `answeredSec` seconds of an answered call under the billing rule. */
function chargeForAnswered(
  answeredSec: number,
  maxDurationSec: number,
  p: PriceList,
): { durationSec: number; billedSec: number; charged: number } {
  // An answered call is at least a second, whatever Twilio's CallDuration rounds to: its minimum applies.
  const durationSec = Math.min(Math.max(answeredSec, 1), Math.max(maxDurationSec, 1));
  const billedSec = billedSeconds(durationSec, p.billingIncrementSec, p.minimumBilledSec);
  return { durationSec, billedSec, charged: mulDivCeil(billedSec, p.chargeMicroPerMinute, 60) };
}

/** The credit held before dialing: the charge of an answered call lasting its whole maximum duration. */
export function holdFor(maxDurationSec: number, p: PriceList): number {
  return chargeForAnswered(maxDurationSec, maxDurationSec, p).charged;
}

/** Prices an answered call: provider components, the client's charge under the billing rule, the margin. */
export function priceCall(usage: CallUsageToPrice, p: PriceList, hold: HoldTerms): CallPrice {
  for (const [k, v] of Object.entries(usage)) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0))
      throw new RangeError(`usage.${k} must be a non-negative safe integer, got ${v}`);
  }
  const telephonySec = Math.max(usage.telephonySeconds, 1);
  const components: CallPriceComponents = {
    sttMicro: mulDivCeil(usage.sttAudioMs, p.sttMicroPerAudioHour, 3_600_000),
    llmMicro:
      usage.llmReportedCostMicro ??
      mulDivCeil(usage.promptTokens + usage.completionTokens, p.llmMicroPerMillionTokens, 1_000_000),
    ttsMicro: mulDivCeil(usage.ttsCharacters, p.ttsMicroPerThousandChars, 1_000),
    telephonyMicro: mulDivCeil(billedSeconds(telephonySec, p.telephonyIncrementSec), p.telephonyMicroPerMinute, 60),
    amdMicro: p.amdMicroPerCall,
  };
  const providerCostMicro =
    components.sttMicro + components.llmMicro + components.ttsMicro + components.telephonyMicro + components.amdMicro;
  const { durationSec, billedSec, charged: full } = chargeForAnswered(usage.telephonySeconds, hold.maxDurationSec, p);
  const charged = Math.min(full, hold.amountMicro);
  return {
    priceListVersion: p.version,
    components,
    providerCostMicro,
    durationSec,
    billedSeconds: billedSec,
    charged,
    margin: charged - providerCostMicro,
  };
}
