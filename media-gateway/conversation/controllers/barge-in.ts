import { isBackchannel } from '../backchannel';

/**
 * Barge-in and back-channels: when the caller's words take the turn from the agent.
 *
 * - A partial transcript interrupts a reply in flight when it is not a back-channel ("ok",
 *   "hmm", Malay "ya"…) and our voice detector heard voice within `voiceWindowMs`: a partial with
 *   no voice behind it is the service catching up on audio from before, not the caller talking
 *   over the agent now.
 * - A final while a reply is in flight: a back-channel over audio the caller is hearing is
 *   transcribed and not answered; anything else (or a back-channel before any audio, which is an
 *   answer to the previous turn) interrupts and becomes the caller's turn.
 * - A key always interrupts (conversation/machine.ts).
 */
export function partialInterrupts(text: string, voicedWithinWindow: boolean): boolean {
  return voicedWithinWindow && !isBackchannel(text);
}

export function finalWhileReplying(text: string, replyAudible: boolean): 'backchannel' | 'interrupt' {
  return replyAudible && isBackchannel(text) ? 'backchannel' : 'interrupt';
}
