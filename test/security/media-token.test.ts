import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mintMediaToken, verifyMediaToken } from '../../lib/media-token';
import { loadConfig } from '../../lib/config';
import { FUZZ_RUNS } from '../hostile/harness';

/**
 * Media stream tokens (lib/media-token.ts): bound to one call, short-lived, unforgeable without
 * the secret. Extends test/media-token.test.ts with properties over arbitrary calls and tamperings.
 */
const SECRET = 'media-secret';
const runs = { numRuns: FUZZ_RUNS * 10 };

describe('media stream tokens', () => {
  it('a token verifies for its own call only', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.integer({ min: 30, max: 3_600 }), (a, b, ttl) => {
        fc.pre(a !== b);
        const t = mintMediaToken(SECRET, a, ttl);
        expect(verifyMediaToken(SECRET, a, t)).toEqual({ ok: true });
        expect(verifyMediaToken(SECRET, b, t)).toEqual({ ok: false, reason: 'bad_signature' });
      }),
      runs,
    );
  });

  it('expires at its ttl, to the second, and a later expiry cannot be written in without the secret', () => {
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.integer({ min: 30, max: 3_600 }),
        fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
        (id, ttl, now) => {
          const t = mintMediaToken(SECRET, id, ttl, now);
          const exp = Math.floor(now / 1000) + ttl;
          expect(verifyMediaToken(SECRET, id, t, exp * 1000)).toEqual({ ok: true });
          expect(verifyMediaToken(SECRET, id, t, exp * 1000 + 1)).toEqual({ ok: false, reason: 'expired' });
          const [, sig] = t.split('.');
          expect(verifyMediaToken(SECRET, id, `${exp + 86_400}.${sig}`, now)).toEqual({ ok: false, reason: 'bad_signature' });
        },
      ),
      runs,
    );
  });

  it('any tampering is refused, and no input makes the verifier throw', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.nat(), fc.string({ minLength: 1, maxLength: 1 }), (id, pos, ch) => {
        const t = mintMediaToken(SECRET, id, 60);
        const i = pos % t.length;
        const bad = t.slice(0, i) + ch + t.slice(i + 1);
        fc.pre(bad !== t);
        expect(verifyMediaToken(SECRET, id, bad).ok).toBe(false);
        expect(verifyMediaToken(`${SECRET}x`, id, t).ok).toBe(false);
      }),
      runs,
    );
    fc.assert(
      fc.property(fc.uuid(), fc.anything(), (id, junk) => {
        expect(verifyMediaToken(SECRET, id, junk).ok).toBe(false);
      }),
      runs,
    );
    expect(verifyMediaToken(SECRET, 'x', `1.${'a'.repeat(10_000)}`)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('are short-lived by configuration: 15 minutes by default, never under 30 s', () => {
    expect(loadConfig({} as NodeJS.ProcessEnv).MEDIA_TOKEN_TTL_SEC).toBe(900);
    expect(() => loadConfig({ MEDIA_TOKEN_TTL_SEC: '5' } as NodeJS.ProcessEnv)).toThrow(/MEDIA_TOKEN_TTL_SEC/);
  });
});
