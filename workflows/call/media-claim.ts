/**
 * Which media stream may carry a call: the rule behind attachMedia, pure so the workflow's
 * validator and the gateway tests' in-memory port judge alike.
 */
import { isCallOver, MEDIA_REFUSED, type CallStatus, type MediaAttachRequest } from './contract';

/** The stream that holds the call, and the attach (one per WebSocket) that took it. */
export interface MediaClaim {
  streamSid: string;
  attachId: string;
}

export interface AttachContext {
  status: CallStatus;
  /** The SID the workflow knows the call by, once it knows one. */
  callSid?: string;
  /** Ended at the provider, canceled, or its media already ended: no stream may start now. */
  over: boolean;
}

export type AttachVerdict =
  { ok: true; repeat: boolean } | { ok: false; type: (typeof MEDIA_REFUSED)[keyof typeof MEDIA_REFUSED]; message: string };

export function judgeAttach(claim: MediaClaim | undefined, req: MediaAttachRequest, ctx: AttachContext): AttachVerdict {
  // The holder asking again gets the same yes, whatever happened since: its first answer may
  // have been lost, and the gateway then learns the status from the view it returns.
  if (claim && claim.streamSid === req.streamSid && claim.attachId === req.attachId) return { ok: true, repeat: true };
  if (ctx.over || isCallOver(ctx.status)) {
    return { ok: false, type: MEDIA_REFUSED.callOver, message: 'call over' };
  }
  if (claim) return { ok: false, type: MEDIA_REFUSED.alreadyStreaming, message: 'call already streaming' };
  if (ctx.callSid && ctx.callSid !== req.callSid)
    return { ok: false, type: MEDIA_REFUSED.otherCall, message: 'stream is for another call' };
  return { ok: true, repeat: false };
}
