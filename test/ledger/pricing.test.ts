import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { computeCallCost, holdAmountFor, loadPriceList, mulDivCeil, billedSeconds, priceListVersion, DEFAULT_PRICES, defaultPriceList } from '../../lib/pricing';
import { loadConfig, ConfigError } from '../../lib/config';

const defaults = loadPriceList(undefined);

describe('call cost at default prices', () => {
  it('matches the worked example: 60 s call, 60 s STT, 8,000 tokens, 400 TTS characters', () => {
    const c = computeCallCost({ sttAudioMs: 60_000, promptTokens: 6_000, completionTokens: 2_000, ttsCharacters: 400, telephonySeconds: 60 }, defaults);
    // STT: 60 s at $1/hour = $0.016666… -> rounded up to 16,667 micro
    expect(c.azure_stt_cost).toBe(16_667);
    // LLM: 8,000 tokens at $0.52 per 1M = $0.00416
    expect(c.llm_cost).toBe(4_160);
    // TTS: 400 characters at $0.18 per 1K = $0.072
    expect(c.tts_cost).toBe(72_000);
    // Twilio: 1 minute at $0.013
    expect(c.twilio_cost).toBe(13_000);
    expect(c.total_provider_cost).toBe(105_827);
    // charge: 60 s at $0.20/min
    expect(c.charged_amount).toBe(200_000);
    expect(c.profit_margin).toBe(94_173);
    expect(c.billed_seconds).toBe(60);
    expect(c.price_list_version).toBe(defaults.version);
  });

  it('prefers the cost the LLM API reported', () => {
    const c = computeCallCost({ sttAudioMs: 0, promptTokens: 8_000, completionTokens: 0, llmReportedCostMicro: 3_901, ttsCharacters: 0, telephonySeconds: 0 }, defaults);
    expect(c.llm_cost).toBe(3_901);
    expect(c.llm_reported_cost).toBe(3_901);
  });

  it('rounds each component up once: Twilio per started minute, client per second', () => {
    const c = computeCallCost({ sttAudioMs: 1, promptTokens: 1, completionTokens: 0, ttsCharacters: 1, telephonySeconds: 61 }, defaults);
    expect(c.azure_stt_cost).toBe(1); // 0.000277… micro rounds up to 1
    expect(c.llm_cost).toBe(1);
    expect(c.tts_cost).toBe(180);
    expect(c.twilio_cost).toBe(26_000); // 2 started minutes
    expect(c.charged_amount).toBe(203_334); // 61 s * 200,000 / 60 = 203,333.3…
  });

  it('an unanswered call costs the client nothing', () => {
    const c = computeCallCost({ sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0, telephonySeconds: 0 }, defaults);
    expect(c.charged_amount).toBe(0);
    expect(c.total_provider_cost).toBe(0);
  });

  it('honours the billing increment and minimum', () => {
    const p = loadPriceList(JSON.stringify({ billingIncrementSec: 6, minimumBilledSec: 30 }));
    expect(computeCallCost({ sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0, telephonySeconds: 7 }, p).billed_seconds).toBe(30);
    expect(computeCallCost({ sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0, telephonySeconds: 31 }, p).billed_seconds).toBe(36);
    expect(p.version).not.toBe(defaults.version);
  });

  it('the hold covers the maximum duration at the charge rate', () => {
    expect(holdAmountFor(300, defaults)).toBe(1_000_000); // 5 min at $0.20
    expect(holdAmountFor(1, defaults)).toBe(3_334);
  });

  it('charged never exceeds the hold for any duration up to the maximum', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 7_200 }), fc.integer({ min: 0, max: 7_200 }), (max, dur) => {
      const d = Math.min(dur, max);
      const c = computeCallCost({ sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0, telephonySeconds: d }, defaults);
      expect(c.charged_amount).toBeLessThanOrEqual(holdAmountFor(max, defaults));
    }));
  });
});

describe('price lists', () => {
  it('version is derived from content', () => {
    expect(priceListVersion(DEFAULT_PRICES)).toBe(defaults.version);
    expect(loadPriceList('{}').version).toBe(defaults.version);
  });
  it('rejects bad overrides clearly', () => {
    expect(() => loadPriceList('{"chargeMicroPerMinute": 0.5}')).toThrow(/chargeMicroPerMinute/);
    expect(() => loadPriceList('{"nope": 1}')).toThrow(/PRICE_LIST_JSON/);
    expect(() => loadPriceList('not json')).toThrow(/not JSON/);
  });
  it('mulDivCeil is exact where floats are not', () => {
    expect(mulDivCeil(2 ** 52, 3, 3)).toBe(2 ** 52);
    expect(mulDivCeil(7, 1, 7)).toBe(1);
    expect(mulDivCeil(8, 1, 7)).toBe(2);
    expect(billedSeconds(0, 60)).toBe(0);
  });
});

describe('price list configuration', () => {
  it('defaultPriceList is the design table with its content version', () => {
    expect(defaultPriceList).toEqual(defaults);
    expect(defaultPriceList.chargeMicroPerMinute).toBe(200_000);
    expect(defaultPriceList.version).toMatch(/^pl_[0-9a-f]{12}$/);
  });
  it('a bad PRICE_LIST_JSON stops the process at start-up with a ConfigError', () => {
    expect(() => loadConfig({ PRICE_LIST_JSON: '{"chargeMicroPerMinute": -1}' })).toThrowError(ConfigError);
    expect(() => loadConfig({ PRICE_LIST_JSON: '{"chargeMicroPerMinute": -1}' })).toThrowError(/PRICE_LIST_JSON: chargeMicroPerMinute/);
    expect(loadConfig({ PRICE_LIST_JSON: '{"chargeMicroPerMinute": 250000}' }).PRICE_LIST_JSON).toContain('250000');
  });
});
