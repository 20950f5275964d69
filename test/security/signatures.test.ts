import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import twilio from 'twilio';
import { billplzSignature, verifyBillplzCallback, verifyBillplzRedirect } from '../../providers/billplz/signature';
import { hashKey } from '../../api/auth';
import { FUZZ_RUNS } from '../hostile/harness';

/**
 * Signature and key checks: every comparison of a secret-derived value is constant-time (read from
 * the code that does it, since timing itself belongs in bench/, not in assertions), and each
 * verifier refuses every near miss without throwing.
 */
const src = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');
const KEY = 'x-signature-key';

describe('constant-time comparisons', () => {
  it('Billplz x_signature, media tokens and the admin key compare with crypto.timingSafeEqual', () => {
    for (const f of ['providers/billplz/signature.ts', 'lib/media-token.ts', 'api/auth.ts']) {
      expect(src(f), f).toMatch(/timingSafeEqual\(/);
    }
    // the only comparisons of signatures in these files go through the helpers
    expect(src('providers/billplz/signature.ts')).not.toMatch(/(given|x_signature)\s*[!=]==/);
    expect(src('lib/media-token.ts')).not.toMatch(/(expected|given)\s*[!=]==/);
  });

  it('Twilio signatures go through the SDK validator, which compares with timingSafeEqual', () => {
    expect(src('api/routes/twilio-webhooks.ts')).toMatch(/twilio\.validateRequest\(/);
    const require = createRequire(import.meta.url);
    const sdk = readFileSync(require.resolve('twilio/lib/webhooks/webhooks.js'), 'utf8');
    expect(sdk).toMatch(
      /function safeCompare\(a, b\) \{\s*return a\.length === b\.length && crypto_1\.default\.timingSafeEqual\(a, b\);/,
    );
    expect(sdk).toMatch(/return safeCompare\(Buffer\.from\(twilioHeader\), Buffer\.from\(signatureWithoutPort\)\)/);
  });

  it('API keys are looked up by their SHA-256 digest only', () => {
    expect(hashKey('ak_x')).toMatch(/^[0-9a-f]{64}$/);
    expect(src('api/auth.ts')).toMatch(/where key_hash = \$\{hash\}/);
  });
});

describe('verifiers refuse near misses', () => {
  const fields = fc.dictionary(
    fc.constantFrom('id', 'collection_id', 'paid', 'amount', 'paid_at', 'email', 'state'),
    fc.string({ maxLength: 20 }),
    { minKeys: 1 },
  );

  it('Billplz callback: a signature with any one character changed, truncated, extended or upper-cased is refused', () => {
    fc.assert(
      fc.property(fields, fc.nat(), fc.constantFrom('flip', 'cut', 'extend', 'upper'), (f, pos, how) => {
        const sig = billplzSignature(f, KEY);
        expect(verifyBillplzCallback({ ...f, x_signature: sig }, KEY)).toBeDefined();
        const i = pos % sig.length;
        const bad =
          how === 'flip'
            ? sig.slice(0, i) + (sig[i] === '0' ? '1' : '0') + sig.slice(i + 1)
            : how === 'cut'
              ? sig.slice(0, i)
              : how === 'extend'
                ? `${sig}0`
                : sig.toUpperCase();
        fc.pre(bad !== sig);
        expect(verifyBillplzCallback({ ...f, x_signature: bad }, KEY)).toBeUndefined();
        // the right signature under another key
        expect(verifyBillplzCallback({ ...f, x_signature: billplzSignature(f, `${KEY}!`) }, KEY)).toBeUndefined();
      }),
      { numRuns: FUZZ_RUNS * 5 },
    );
  });

  it('Billplz callback: a changed field value, an added field or a repeated field is refused', () => {
    fc.assert(
      fc.property(fields, fc.string({ minLength: 1, maxLength: 5 }), (f, extra) => {
        const sig = billplzSignature(f, KEY);
        const k = Object.keys(f)[0]!;
        expect(verifyBillplzCallback({ ...f, [k]: `${f[k]}${extra}`, x_signature: sig }, KEY)).toBeUndefined();
        expect(verifyBillplzCallback({ ...f, zz_extra: extra, x_signature: sig }, KEY)).toBeUndefined();
        expect(verifyBillplzCallback({ ...f, [k]: [f[k]!, f[k]!], x_signature: sig }, KEY)).toBeUndefined();
        expect(verifyBillplzCallback({ ...f, x_signature: [sig, sig] }, KEY)).toBeUndefined();
      }),
      { numRuns: FUZZ_RUNS * 5 },
    );
  });

  it('Billplz redirect: unsigned, mis-signed or repeated parameters are refused', () => {
    const q = { 'billplz[id]': 'b1', 'billplz[paid]': 'true', 'billplz[paid_at]': '2026-01-01 10:00:00 +0800' };
    const sig = billplzSignature({ billplzid: 'b1', billplzpaid: 'true', billplzpaid_at: '2026-01-01 10:00:00 +0800' }, KEY);
    expect(verifyBillplzRedirect({ ...q, 'billplz[x_signature]': sig }, KEY)).toEqual({
      id: 'b1',
      paid: true,
      paidAt: '2026-01-01 10:00:00 +0800',
    });
    expect(verifyBillplzRedirect(q, KEY)).toBeUndefined();
    expect(verifyBillplzRedirect({ ...q, 'billplz[paid]': 'false', 'billplz[x_signature]': sig }, KEY)).toBeUndefined();
    expect(verifyBillplzRedirect({ ...q, 'billplz[id]': ['b1', 'b2'], 'billplz[x_signature]': sig }, KEY)).toBeUndefined();
  });

  it('Twilio: a signature over other parameters, another URL or another token is refused', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom('CallSid', 'CallStatus', 'To', 'Timestamp'), fc.string({ maxLength: 12 }), { minKeys: 1 }),
        fc.string({ minLength: 1, maxLength: 5 }),
        (params, extra) => {
          const url = 'https://api.example.com/webhooks/twilio/status?callId=0b6c6f5e-2a3c-4d0e-9d7a-1f1f1f1f1f1f';
          const sig = twilio.getExpectedTwilioSignature('token', url, params);
          expect(twilio.validateRequest('token', sig, url, params)).toBe(true);
          const k = Object.keys(params)[0]!;
          expect(twilio.validateRequest('token', sig, url, { ...params, [k]: `${params[k]}${extra}` })).toBe(false);
          expect(twilio.validateRequest('token', sig, url.replace('callId=0', 'callId=1'), params)).toBe(false);
          expect(twilio.validateRequest('token2', sig, url, params)).toBe(false);
        },
      ),
      { numRuns: FUZZ_RUNS * 2 },
    );
  });
});
