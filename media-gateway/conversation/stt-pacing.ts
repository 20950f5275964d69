/**
 * Which caller frames may wait before going to STT. Every message to Azure costs the gateway CPU
 * (the Speech SDK wraps each in headers with a fresh GUID and events, then one socket write):
 * sending every 20 ms frame alone was about half of the gateway's CPU at 200 calls. So audio is
 * gathered into larger messages (the adapter's maxHoldMs) unless something is waiting on its
 * transcript:
 *
 * - the end of the caller's turn: once the voice stops, the service counts silence up to the
 *   segmentation timeout and then sends the final. Frames around that point go at once (flushing
 *   what was held) from a little before it until the final has come, or a margin after it;
 * - barge-in: the caller talking over the agent, where a partial transcript decides the
 *   interruption.
 *
 * Everything else (silence while the agent talks or waits, the caller talking while the agent is
 * quiet) can wait: the service still gets all of it, in order, a little later. If our voice
 * detector and the service disagree about where speech ended by more than the margins, the cost
 * is bounded by the hold.
 */
export interface PacingInput {
  /** This frame is voice (media-gateway/conversation/vad.ts). */
  voiced: boolean;
  /** ms since the last voiced frame (Infinity if none yet). */
  sinceVoiceMs: number;
  /** The service has sent a final since the last voiced frame: the turn's end is known. */
  finalSinceVoice: boolean;
  /** A reply is in flight (thinking or speaking): caller speech may interrupt it. */
  agentBusy: boolean;
  segmentationSilenceMs: number;
}

/** How long before our own estimate of the segmentation point frames start going at once. */
export const END_OF_TURN_LEAD_MS = 100;
/** How long past it they keep going at once if no final has come (the service may hear speech end later). */
export const END_OF_TURN_MARGIN_MS = 250;

export function sttCanWait(i: PacingInput): boolean {
  if (i.voiced) return !i.agentBusy;
  if (i.finalSinceVoice) return true;
  return (
    i.sinceVoiceMs < i.segmentationSilenceMs - END_OF_TURN_LEAD_MS ||
    i.sinceVoiceMs > i.segmentationSilenceMs + END_OF_TURN_MARGIN_MS
  );
}
