import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Short-lived token binding a Twilio media stream to one call. The dialer mints it into the TwiML
 * <Stream> as a <Parameter> (Twilio drops query strings); the gateway verifies it from
 * `start.customParameters` before it accepts audio.
 *
 * Format: `<expiresAtUnixSec>.<base64url HMAC-SHA256(secret, "media:" + callId + ":" + expiresAt)>`.
 */
export function mintMediaToken(secret: string, callId: string, ttlSec: number, nowMs = Date.now()): string {
  const exp = Math.floor(nowMs / 1000) + ttlSec;
  return `${exp}.${sign(secret, callId, exp)}`;
}

export type MediaTokenCheck = { ok: true } | { ok: false; reason: 'malformed' | 'expired' | 'bad_signature' };

export function verifyMediaToken(secret: string, callId: string, token: unknown, nowMs = Date.now()): MediaTokenCheck {
  if (typeof token !== 'string' || token.length > 200) return { ok: false, reason: 'malformed' };
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const exp = Number(m[1]);
  const expected = Buffer.from(sign(secret, callId, exp));
  const given = Buffer.from(m[2]!);
  // Check the signature before the expiry so timing never reveals which of the two failed first.
  const sigOk = expected.length === given.length && timingSafeEqual(expected, given);
  if (!sigOk) return { ok: false, reason: 'bad_signature' };
  if (exp * 1000 < nowMs) return { ok: false, reason: 'expired' };
  return { ok: true };
}

function sign(secret: string, callId: string, exp: number): string {
  return createHmac('sha256', secret).update(`media:${callId}:${exp}`).digest('base64url');
}
