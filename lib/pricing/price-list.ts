/**
 * The price list: provider rates and the client's billing rule. Pure (no Node imports) so workflow
 * code may use it. Every rate is an integer number of micro-units per a stated unit, so no float
 * touches money. The one function that turns usage into money is priceCall (price-call.ts).
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
  /** Twilio answering-machine detection, billed per answered call it ran on (every call here asks for it). */
  amdMicroPerCall: number;
  /** What the client pays per minute of answered call time. */
  chargeMicroPerMinute: number;
  /**
   * The client's billing rule for an answered call: at least `minimumBilledSec`, then rounded up
   * to `billingIncrementSec` steps. It pays for what every answered call costs whatever its
   * length — Twilio's started minute, AMD, the synthesized first message — so a short call
   * (voicemail, an early hang-up) is not billed below its cost (README: Pricing).
   */
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
  amdMicroPerCall: 7_500, // Twilio AMD, $0.0075 per call
  chargeMicroPerMinute: 200_000, // $0.20 per minute to the client
  // 60/6 billing: the first minute in full, then 6 s steps. The margin property test
  // (test/ledger/pricing.test.ts) shows why 30 s is not enough: a 30 s call that hears its first
  // message and a few replies costs ~$0.12 in TTS, Twilio's minute and AMD, above 30 s × $0.20/min.
  billingIncrementSec: 6,
  minimumBilledSec: 60,
};

/** ceil(a * b / c) on non-negative integers, exact (BigInt) whatever the magnitudes. */
export function mulDivCeil(a: number, b: number, c: number): number {
  for (const [n, v] of [
    ['a', a],
    ['b', b],
    ['c', c],
  ] as const) {
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
