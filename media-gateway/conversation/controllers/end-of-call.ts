import type { Logger } from 'pino';
import { recordProviderError } from '../../../lib/metrics';
import type { AudioOut } from '../../stream/outbound';
import type { Reply } from '../reply';
import type { CallTransfer } from '../settings';
import type { MarkInfo } from '../speaker';
import type { TurnLog } from '../transcript';

/**
 * How an utterance or the call stops short.
 *
 * Heard = recorded = billed: an utterance cut off — by the caller's speech or a key, a machine
 * verdict, or the end of the stream (the caller hung up mid-reply, `stop`, an error) — is saved as
 * an interrupted agent turn truncated at the last mark Twilio confirmed, and only that much goes
 * into the model's history; its TTS characters and model tokens are billed as sent (usage.ts).
 * Returns the text heard, or undefined when none of it was ever sent.
 */
export function cutOff(reply: Reply, o: { out: AudioOut<MarkInfo>; turns: TurnLog; clear: boolean }): string | undefined {
  const audible = reply.speaker.audioSent;
  // Twilio drops what it has not played yet; the marks of that audio are forgotten (AudioOut.clear).
  if (audible && o.clear) o.out.clear();
  reply.abort.abort();
  reply.speaker.dispose();
  if (!audible) return undefined;
  const heard = reply.speaker.spokenText();
  o.turns.agent(reply, heard, true);
  return heard;
}

/** Hands the call to `to` at Twilio (the agent's transfer number, never the model's). */
export async function transferCall(
  transfer: CallTransfer | undefined,
  callSid: string,
  to: string,
  log: Logger,
): Promise<{ ok: true } | { ok: false; message: string }> {
  if (!transfer) return { ok: false, message: 'no telephony is configured' };
  try {
    await transfer.transfer(callSid, to);
    return { ok: true };
  } catch (err) {
    recordProviderError('twilio', (err as { code?: string | number }).code);
    log.error({ err: (err as Error).message }, 'transfer failed');
    return { ok: false, message: (err as Error).message };
  }
}
