/**
 * Prices and the per-call cost calculation. Pure (no Node imports) so workflow code may use it.
 *
 * Every rate is an integer number of micro-units per a stated unit, so no float touches money.
 * ROUNDING RULE: each component is computed exactly as a fraction and rounded UP to the next whole
 * micro-unit, once, here; totals are sums of the rounded components. Rounding up never
 * under-charges the client nor under-estimates a provider bill, and the error is < 1 micro-unit
 * (one millionth of a dollar) per component.
 */
export interface PriceList {
  /** Derived from the content (see priceListVersion); stored with every call's costs. */
  version: string;
  currency: string;
  /** Azure Speech: micro-units per hour of audio ($1/hour = 1,000,000). */
  sttMicroPerAudioHour: number;
  /** OpenRouter: micro-units per million tokens, used when the API reports no cost. */
  llmMicroPerMillionTokens: number;
  /** ElevenLabs: micro-units per thousand characters. */
  ttsMicroPerThousandChars: number;
  /** Twilio: micro-units per minute, billed in `telephonyIncrementSec` steps. */
  telephonyMicroPerMinute: number;
  telephonyIncrementSec: number;
  /** What the client pays per minute of answered call time. */
  chargeMicroPerMinute: number;
  /** Client billing increment (1 = per second) and the minimum billed seconds of an answered call. */
  billingIncrementSec: number;
  minimumBilledSec: number;
}

export type PriceListInput = Omit<PriceList, 'version'>;

/** Defaults from the replaced system (DESIGN.md, Pricing). */
export const DEFAULT_PRICES: PriceListInput = {
  currency: 'USD',
  sttMicroPerAudioHour: 1_000_000, // $0.0167/min
  llmMicroPerMillionTokens: 520_000, // Llama 3.1 70B, ~$0.52 per 1M tokens
  ttsMicroPerThousandChars: 180_000, // ~$0.18 per 1K characters
  telephonyMicroPerMinute: 13_000, // ~$0.013 per minute
  telephonyIncrementSec: 60, // Twilio bills outbound voice per started minute
  chargeMicroPerMinute: 200_000, // $0.20 per minute to the client
  billingIncrementSec: 1,
  minimumBilledSec: 0,
};

export interface CallUsageForCost {
  sttAudioMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Cost the LLM API reported, micro-units; preferred over the token rate when present. */
  llmReportedCostMicro?: number;
  ttsCharacters: number;
  /** Answered call time as the telephony provider measured it. */
  telephonySeconds: number;
}

/** The call_costs row (money in micro-units). */
export interface CallCost {
  price_list_version: string;
  stt_audio_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  llm_reported_cost: number | null;
  tts_characters: number;
  telephony_seconds: number;
  billed_seconds: number;
  azure_stt_cost: number;
  llm_cost: number;
  tts_cost: number;
  twilio_cost: number;
  total_provider_cost: number;
  charged_amount: number;
  profit_margin: number;
}

/** ceil(a * b / c) on non-negative integers, exact (BigInt) whatever the magnitudes. */
export function mulDivCeil(a: number, b: number, c: number): number {
  for (const [n, v] of [['a', a], ['b', b], ['c', c]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${n} must be a non-negative safe integer, got ${v}`);
  }
  if (c === 0) throw new RangeError('division by zero');
  const num = BigInt(a) * BigInt(b);
  const q = (num + BigInt(c) - 1n) / BigInt(c);
  const out = Number(q);
  if (!Number.isSafeInteger(out)) throw new RangeError('result exceeds the safe integer range');
  return out;
}

/** Rounds seconds up to the increment, with a floor for any non-zero duration. */
export function billedSeconds(seconds: number, incrementSec: number, minimumSec = 0): number {
  if (seconds <= 0) return 0;
  const rounded = Math.ceil(seconds / incrementSec) * incrementSec;
  return Math.max(rounded, minimumSec);
}

/** What the client pays for `seconds` of answered call time. */
export function chargeFor(seconds: number, p: PriceList): { billedSec: number; charged: number } {
  const billedSec = billedSeconds(seconds, p.billingIncrementSec, p.minimumBilledSec);
  return { billedSec, charged: mulDivCeil(billedSec, p.chargeMicroPerMinute, 60) };
}

/** The credit to hold before dialing: the charge for the call's maximum duration. */
export function holdAmountFor(maxDurationSec: number, p: PriceList): number {
  return chargeFor(maxDurationSec, p).charged;
}

export function computeCallCost(u: CallUsageForCost, p: PriceList): CallCost {
  const tokens = u.promptTokens + u.completionTokens;
  const azure_stt_cost = mulDivCeil(u.sttAudioMs, p.sttMicroPerAudioHour, 3_600_000);
  const llm_cost = u.llmReportedCostMicro !== undefined ? u.llmReportedCostMicro : mulDivCeil(tokens, p.llmMicroPerMillionTokens, 1_000_000);
  const tts_cost = mulDivCeil(u.ttsCharacters, p.ttsMicroPerThousandChars, 1_000);
  const twilioSec = billedSeconds(u.telephonySeconds, p.telephonyIncrementSec);
  const twilio_cost = mulDivCeil(twilioSec, p.telephonyMicroPerMinute, 60);
  const { billedSec, charged } = chargeFor(u.telephonySeconds, p);
  const total_provider_cost = azure_stt_cost + llm_cost + tts_cost + twilio_cost;
  return {
    price_list_version: p.version,
    stt_audio_ms: u.sttAudioMs,
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    llm_reported_cost: u.llmReportedCostMicro ?? null,
    tts_characters: u.ttsCharacters,
    telephony_seconds: u.telephonySeconds,
    billed_seconds: billedSec,
    azure_stt_cost,
    llm_cost,
    tts_cost,
    twilio_cost,
    total_provider_cost,
    charged_amount: charged,
    profit_margin: charged - total_provider_cost,
  };
}
