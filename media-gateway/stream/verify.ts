import type { IncomingMessage } from 'node:http';
import twilio from 'twilio';
import { verifyMediaToken, type MediaTokenCheck } from '../../lib/media-token';

/**
 * Two checks guard a stream. The handshake's X-Twilio-Signature (when the gateway knows the
 * Twilio auth token and its public URL) proves Twilio opened the socket; the per-call HMAC token
 * in `start.customParameters` (always) binds the stream to one callId and expires, so a leaked
 * TwiML cannot be replayed later or against another call.
 */

export interface HandshakeCheckOptions {
  /** When set, every upgrade must carry a valid X-Twilio-Signature. */
  twilioAuthToken?: string;
  /** Public wss:// URL Twilio connects to (what it signs); the request's path and query are appended. */
  publicUrl?: string;
}

export function checkHandshake(req: IncomingMessage, opts: HandshakeCheckOptions): { ok: true } | { ok: false; reason: string } {
  if (!opts.twilioAuthToken) return { ok: true };
  const signature = req.headers['x-twilio-signature'];
  if (typeof signature !== 'string' || signature === '') return { ok: false, reason: 'missing X-Twilio-Signature' };
  if (!opts.publicUrl) return { ok: false, reason: 'signature check configured without a public URL' };
  const base = new URL(opts.publicUrl);
  const u = new URL(req.url ?? '/', base);
  const signed = `${base.protocol}//${base.host}${u.pathname}${u.search}`;
  return twilio.validateRequest(opts.twilioAuthToken, signature, signed, {})
    ? { ok: true }
    : { ok: false, reason: 'bad X-Twilio-Signature' };
}

export interface StreamIdentity {
  callId: string;
}

export function checkStartParameters(
  secret: string,
  params: Record<string, string> | undefined,
  nowMs = Date.now(),
): { ok: true; identity: StreamIdentity } | { ok: false; reason: string } {
  const callId = params?.callId;
  if (typeof callId !== 'string' || !/^[0-9a-f-]{36}$/i.test(callId))
    return { ok: false, reason: 'start has no valid callId parameter' };
  const check: MediaTokenCheck = verifyMediaToken(secret, callId, params?.token, nowMs);
  if (!check.ok) return { ok: false, reason: `media token ${check.reason}` };
  return { ok: true, identity: { callId } };
}
