/**
 * Twilio Media Streams wire format, as Twilio documents it (websocket-messages): what Twilio sends
 * to the application and what a bidirectional stream accepts back. Counters and timestamps are
 * STRINGS on the wire; the gateway must cope with that, so the simulator never sends numbers.
 */

export const FRAME_BYTES = 160; // 20 ms of µ-law 8 kHz
export const FRAME_MS = 20;

export interface ConnectedMessage {
  event: 'connected';
  protocol: 'Call';
  version: '1.0.0';
}

export interface StartMessage {
  event: 'start';
  sequenceNumber: string;
  streamSid: string;
  start: {
    streamSid: string;
    accountSid: string;
    callSid: string;
    tracks: ['inbound'];
    customParameters: Record<string, string>;
    mediaFormat: { encoding: 'audio/x-mulaw'; sampleRate: 8000; channels: 1 };
  };
}

export interface MediaMessage {
  event: 'media';
  sequenceNumber: string;
  streamSid: string;
  /** chunk counts from "1"; timestamp is ms since the stream started. */
  media: { track: 'inbound'; chunk: string; timestamp: string; payload: string };
}

export interface DtmfMessage {
  event: 'dtmf';
  sequenceNumber: string;
  streamSid: string;
  dtmf: { track: 'inbound_track'; digit: string };
}

export interface MarkMessage {
  event: 'mark';
  sequenceNumber: string;
  streamSid: string;
  mark: { name: string };
}

export interface StopMessage {
  event: 'stop';
  sequenceNumber: string;
  streamSid: string;
  stop: { accountSid: string; callSid: string };
}

/** Everything Twilio sends to the application. */
export type TwilioToApp = ConnectedMessage | StartMessage | MediaMessage | DtmfMessage | MarkMessage | StopMessage;

/** What the application may send back on a bidirectional (<Connect><Stream>) stream. */
export type AppToTwilio =
  | { event: 'media'; streamSid: string; media: { payload: string } }
  | { event: 'mark'; streamSid: string; mark: { name: string } }
  | { event: 'clear'; streamSid: string };

export const DTMF_DIGITS = /^[0-9*#A-D]$/;

/**
 * Reads one frame from the application. Returns the message, or a description of what is wrong with
 * it: Twilio ignores such frames, and the simulator records them so tests can assert there were none.
 */
export function parseAppMessage(raw: string, streamSid: string): { ok: true; msg: AppToTwilio } | { ok: false; error: string } {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  if (typeof m !== 'object' || m === null) return { ok: false, error: 'not an object' };
  const o = m as Record<string, unknown>;
  if (o.streamSid !== streamSid)
    return { ok: false, error: `${String(o.event)}: streamSid ${JSON.stringify(o.streamSid)} is not this stream's` };
  switch (o.event) {
    case 'media': {
      const payload = (o.media as { payload?: unknown } | undefined)?.payload;
      if (typeof payload !== 'string' || payload === '') return { ok: false, error: 'media without payload' };
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) return { ok: false, error: 'media payload is not base64' };
      return { ok: true, msg: { event: 'media', streamSid, media: { payload } } };
    }
    case 'mark': {
      const name = (o.mark as { name?: unknown } | undefined)?.name;
      if (typeof name !== 'string' || name === '') return { ok: false, error: 'mark without name' };
      return { ok: true, msg: { event: 'mark', streamSid, mark: { name } } };
    }
    case 'clear':
      return { ok: true, msg: { event: 'clear', streamSid } };
    default:
      return { ok: false, error: `unknown event ${JSON.stringify(o.event)}` };
  }
}
