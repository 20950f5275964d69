import { describe, expect, it } from 'vitest';
import { mintMediaToken, verifyMediaToken } from '../lib/media-token';

const secret = 'test-secret';
const callId = '0b6c6f5e-2a3c-4d0e-9d7a-1f1f1f1f1f1f';

describe('media stream tokens', () => {
  it('verifies a fresh token for its own call', () => {
    expect(verifyMediaToken(secret, callId, mintMediaToken(secret, callId, 60))).toEqual({ ok: true });
  });
  it('rejects a token for another call, an expired one, a forged one and garbage', () => {
    const t = mintMediaToken(secret, callId, 60, 1_000_000);
    expect(verifyMediaToken(secret, 'other', t, 1_000_000).ok).toBe(false);
    expect(verifyMediaToken(secret, callId, t, 1_000_000 + 61_000)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyMediaToken('wrong', callId, t, 1_000_000)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyMediaToken(secret, callId, 'x.y')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyMediaToken(secret, callId, undefined)).toEqual({ ok: false, reason: 'malformed' });
    const [exp, sig] = t.split('.');
    expect(verifyMediaToken(secret, callId, `${Number(exp) + 1000}.${sig}`, 1_000_000)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });
});
