import type { MediaSession } from '../../sim/callee/session';

/** µ-law silence (0xFF) removed: what is left of a channel is the speech in it, in order. */
export function speechOnly(b: Buffer): Buffer {
  return Buffer.from(b.filter((x) => x !== 0xff));
}

/**
 * The agent audio the callee confirmed hearing: for each mark echoed without a `clear`, the bytes
 * received since the previous mark. `received` is the agent audio as it arrived, in order.
 */
export function confirmedAgentAudio(media: MediaSession, received: Buffer): { kept: Buffer; dropped: Buffer } {
  const kept: Buffer[] = [];
  const dropped: Buffer[] = [];
  let prev = 0;
  for (const m of media.marks) {
    const seg = received.subarray(prev, m.agentBytesBefore);
    // A mark still unechoed when the stream ended was not confirmed either.
    (m.echoedMs !== undefined && !m.cleared ? kept : dropped).push(seg);
    prev = m.agentBytesBefore;
  }
  dropped.push(received.subarray(prev));
  return { kept: Buffer.concat(kept), dropped: Buffer.concat(dropped) };
}

/** Index just past the last non-silent byte (0 for a silent channel). */
export function speechEnd(b: Buffer): number {
  for (let i = b.length - 1; i >= 0; i--) if (b[i] !== 0xff) return i + 1;
  return 0;
}
