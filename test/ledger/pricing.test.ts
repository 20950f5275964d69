import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  holdFor,
  loadPriceList,
  mulDivCeil,
  billedSeconds,
  priceCall,
  priceListVersion,
  DEFAULT_PRICES,
  defaultPriceList,
  type CallUsageToPrice,
} from '../../lib/pricing';
import { loadConfig, ConfigError } from '../../lib/config';

const defaults = loadPriceList(undefined);
const noUsage = { sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 };
const hold = (maxDurationSec: number, p = defaults) => ({ maxDurationSec, amountMicro: holdFor(maxDurationSec, p) });

describe('priceCall at default prices', () => {
  it('matches the README worked example: 75 s call, 70 s STT, 8,000 tokens, 400 TTS characters', () => {
    const c = priceCall(
      { telephonySeconds: 75, sttAudioMs: 70_000, promptTokens: 6_000, completionTokens: 2_000, ttsCharacters: 400 },
      defaults,
      hold(300),
    );
    expect(c.components).toEqual({
      sttMicro: 19_445, // 70 s at $1/hour = 19,444.4… -> rounded up
      llmMicro: 4_160, // 8,000 tokens at $0.52 per 1M
      ttsMicro: 72_000, // 400 characters at $0.18 per 1K
      telephonyMicro: 26_000, // 2 started minutes at $0.013
      amdMicro: 7_500, // AMD, per call
    });
    expect(c.providerCostMicro).toBe(129_105);
    expect(c.billedSeconds).toBe(78); // past the first minute, 6 s steps: 75 -> 78
    expect(c.charged).toBe(260_000); // 78 s at $0.20/min
    expect(c.margin).toBe(130_895);
    expect(c.priceListVersion).toBe(defaults.version);
  });

  it('bills the minimum for a 1 s answer (voicemail, early hang-up) and still covers its cost', () => {
    const c = priceCall(
      { telephonySeconds: 1, sttAudioMs: 1_000, promptTokens: 0, completionTokens: 0, ttsCharacters: 200 },
      defaults,
      hold(300),
    );
    expect(c.billedSeconds).toBe(60);
    expect(c.charged).toBe(200_000);
    expect(c.components.telephonyMicro).toBe(13_000);
    expect(c.margin).toBeGreaterThan(0);
    // Answered in under a second (CallDuration 0): still an answered call, with its minimum and Twilio's minute.
    expect(priceCall({ telephonySeconds: 0, ...noUsage }, defaults, hold(300)).charged).toBe(200_000);
  });

  it('prefers the cost the LLM API reported', () => {
    const c = priceCall(
      { telephonySeconds: 10, ...noUsage, promptTokens: 8_000, llmReportedCostMicro: 3_901 },
      defaults,
      hold(60),
    );
    expect(c.components.llmMicro).toBe(3_901);
  });

  it('rounds each component up once: Twilio per started minute', () => {
    const c = priceCall(
      { telephonySeconds: 61, sttAudioMs: 1, promptTokens: 1, completionTokens: 0, ttsCharacters: 1 },
      defaults,
      hold(300),
    );
    expect(c.components.sttMicro).toBe(1); // 0.000277… micro rounds up to 1
    expect(c.components.llmMicro).toBe(1);
    expect(c.components.ttsMicro).toBe(180);
    expect(c.components.telephonyMicro).toBe(26_000);
    expect(c.billedSeconds).toBe(66);
    expect(c.charged).toBe(220_000);
  });

  it('caps billed time at the maximum duration, and the charge at the hold', () => {
    const c = priceCall({ telephonySeconds: 700, ...noUsage }, defaults, hold(300));
    expect(c.billedSeconds).toBe(300);
    expect(c.charged).toBe(1_000_000);
    // A hold smaller than the rule's charge (never made by holdFor, but the ledger's limit): the hold wins.
    expect(priceCall({ telephonySeconds: 100, ...noUsage }, defaults, { maxDurationSec: 300, amountMicro: 50_000 }).charged).toBe(
      50_000,
    );
  });

  it('honours a configured billing rule', () => {
    const p = loadPriceList(JSON.stringify({ billingIncrementSec: 1, minimumBilledSec: 30 }));
    expect(priceCall({ telephonySeconds: 7, ...noUsage }, p, hold(300, p)).billedSeconds).toBe(30);
    expect(priceCall({ telephonySeconds: 31, ...noUsage }, p, hold(300, p)).billedSeconds).toBe(31);
    expect(p.version).not.toBe(defaults.version);
  });

  it('rejects usage that is not a non-negative integer', () => {
    expect(() => priceCall({ telephonySeconds: 1.5, ...noUsage }, defaults, hold(60))).toThrow(/telephonySeconds/);
    expect(() => priceCall({ telephonySeconds: 1, ...noUsage, ttsCharacters: -1 }, defaults, hold(60))).toThrow(/ttsCharacters/);
  });

  it('the hold is the charge of the maximum duration under the billing rule', () => {
    expect(holdFor(300, defaults)).toBe(1_000_000); // 5 min at $0.20
    expect(holdFor(1, defaults)).toBe(200_000); // the minimum
    expect(holdFor(61, defaults)).toBe(220_000);
  });

  it('charged never exceeds the hold for any duration', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7_200 }), fc.integer({ min: 0, max: 10_000 }), (max, dur) => {
        expect(priceCall({ telephonySeconds: dur, ...noUsage }, defaults, hold(max)).charged).toBeLessThanOrEqual(
          holdFor(max, defaults),
        );
      }),
    );
  });
});

/**
 * What one answered call can use per second of answered time, generously (README: Pricing). The
 * caller's audio is streamed to STT the whole call; the agent speaks about half of the time at
 * ~16 characters a second, after a first message of up to 200 characters synthesized at answer;
 * a turn (the caller speaks, the model answers) takes at least 6 s and sends at most 2,500 prompt
 * tokens and gets 150 back; an OpenRouter-reported cost is what the tokens cost at most. Twilio's
 * time runs at most 5 s past the maximum (our hang-up's latency).
 */
const usageEnvelope = fc.integer({ min: 1, max: 3_600 }).chain((maxDurationSec) =>
  fc.integer({ min: 0, max: maxDurationSec + 5 }).chain((telephonySeconds) => {
    const t = Math.max(telephonySeconds, 1);
    const turns = 1 + Math.floor(t / 6);
    return fc.record({
      maxDurationSec: fc.constant(maxDurationSec),
      usage: fc.record({
        telephonySeconds: fc.constant(telephonySeconds),
        sttAudioMs: fc.integer({ min: 0, max: t * 1_000 }),
        ttsCharacters: fc.integer({ min: 0, max: 200 + 8 * t }),
        promptTokens: fc.integer({ min: 0, max: turns * 2_500 }),
        completionTokens: fc.integer({ min: 0, max: turns * 150 }),
        llmReportedCostMicro: fc.option(
          fc.integer({ min: 0, max: mulDivCeil(turns * 2_650, defaults.llmMicroPerMillionTokens, 1_000_000) }),
          { nil: undefined },
        ),
      }) as fc.Arbitrary<CallUsageToPrice>,
    });
  }),
);

describe('a call is never billed below what it costs', () => {
  it('with the default price list, margin ≥ 0 for every usage a call can produce', () => {
    fc.assert(
      fc.property(usageEnvelope, ({ maxDurationSec, usage }) => {
        const c = priceCall(usage, defaults, hold(maxDurationSec));
        expect(c.margin).toBeGreaterThanOrEqual(0);
        expect(c.charged - c.providerCostMicro).toBe(c.margin);
      }),
      { numRuns: 5_000 },
    );
  });

  it('the worst corners of the envelope too: a full envelope at each length up to 10 minutes', () => {
    for (let max = 1; max <= 600; max++) {
      for (const tel of [0, 1, max, max + 5]) {
        const t = Math.max(tel, 1);
        const turns = 1 + Math.floor(t / 6);
        const c = priceCall(
          {
            telephonySeconds: tel,
            sttAudioMs: t * 1_000,
            ttsCharacters: 200 + 8 * t,
            promptTokens: turns * 2_500,
            completionTokens: turns * 150,
          },
          defaults,
          hold(max),
        );
        expect(c.margin, `max ${max}, telephony ${tel}`).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it("the replaced system's per-second rule (no minimum) loses money on short calls: the reason for the rule", () => {
    const perSecond = loadPriceList(JSON.stringify({ billingIncrementSec: 1, minimumBilledSec: 0 }));
    const c = priceCall(
      { telephonySeconds: 1, sttAudioMs: 1_000, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 },
      perSecond,
      hold(300, perSecond),
    );
    expect(c.charged).toBe(3_334);
    expect(c.margin).toBeLessThan(0);
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
    expect(defaultPriceList.minimumBilledSec).toBe(60);
    expect(defaultPriceList.amdMicroPerCall).toBe(7_500);
    expect(defaultPriceList.version).toMatch(/^pl_[0-9a-f]{12}$/);
  });
  it('a bad PRICE_LIST_JSON stops the process at start-up with a ConfigError', () => {
    expect(() => loadConfig({ PRICE_LIST_JSON: '{"chargeMicroPerMinute": -1}' })).toThrowError(ConfigError);
    expect(() => loadConfig({ PRICE_LIST_JSON: '{"chargeMicroPerMinute": -1}' })).toThrowError(
      /PRICE_LIST_JSON: chargeMicroPerMinute/,
    );
    expect(loadConfig({ PRICE_LIST_JSON: '{"chargeMicroPerMinute": 250000}' }).PRICE_LIST_JSON).toContain('250000');
  });
});
