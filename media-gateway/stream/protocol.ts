import { z } from 'zod';

/**
 * Twilio Media Streams messages, as Twilio sends them: every number (sequenceNumber, chunk,
 * timestamp) is a string, unknown fields may appear at any level and new events may be added, so
 * objects are parsed loosely and an unknown event is reported as such rather than rejected.
 */

// Twilio sends these as strings; a number is accepted too (it means the same and costs nothing).
const numeric = z.union([z.string().regex(/^\d{1,15}$/), z.number().int().nonnegative()]);

const connected = z.looseObject({
  event: z.literal('connected'),
  protocol: z.string().optional(),
  version: z.string().optional(),
});

const start = z.looseObject({
  event: z.literal('start'),
  sequenceNumber: numeric.optional(),
  streamSid: z.string().min(1).max(64),
  start: z.looseObject({
    streamSid: z.string().min(1).max(64).optional(),
    accountSid: z.string().max(64).optional(),
    callSid: z.string().min(1).max(64),
    tracks: z.array(z.string()).optional(),
    customParameters: z.record(z.string(), z.string()).optional(),
    mediaFormat: z
      .looseObject({
        encoding: z.string(),
        sampleRate: z.union([z.number(), numeric]),
        channels: z.union([z.number(), numeric]).optional(),
      })
      .optional(),
  }),
});

const media = z.looseObject({
  event: z.literal('media'),
  sequenceNumber: numeric.optional(),
  streamSid: z.string().optional(),
  media: z.looseObject({
    track: z.string().optional(),
    chunk: numeric.optional(),
    timestamp: numeric.optional(),
    // 20 ms of µ-law is 160 bytes (216 base64 characters); Twilio never sends more than a few.
    payload: z
      .string()
      .max(64_000)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/),
  }),
});

const dtmf = z.looseObject({
  event: z.literal('dtmf'),
  sequenceNumber: numeric.optional(),
  streamSid: z.string().optional(),
  dtmf: z.looseObject({ track: z.string().optional(), digit: z.string().regex(/^[0-9*#A-Da-d]$/) }),
});

const mark = z.looseObject({
  event: z.literal('mark'),
  sequenceNumber: numeric.optional(),
  streamSid: z.string().optional(),
  mark: z.looseObject({ name: z.string().max(256) }),
});

const stop = z.looseObject({
  event: z.literal('stop'),
  sequenceNumber: numeric.optional(),
  streamSid: z.string().optional(),
  stop: z.looseObject({ accountSid: z.string().optional(), callSid: z.string().optional() }).optional(),
});

const KNOWN = { connected, start, media, dtmf, mark, stop } as const;
export type InboundEvent =
  | z.infer<typeof connected>
  | z.infer<typeof start>
  | z.infer<typeof media>
  | z.infer<typeof dtmf>
  | z.infer<typeof mark>
  | z.infer<typeof stop>
  | { event: 'unknown'; name: string };

export type StartEvent = z.infer<typeof start>;

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Largest text frame accepted: far above any real Twilio message, far below a memory problem. */
export const MAX_FRAME_BYTES = 128 * 1024;

/** Parses one text frame. Throws ProtocolError with a short, loggable reason. */
export function parseInbound(raw: string): InboundEvent {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ProtocolError('frame is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ProtocolError('frame is not a JSON object');
  const name = (json as { event?: unknown }).event;
  if (typeof name !== 'string') throw new ProtocolError('frame has no event');
  const schema = KNOWN[name as keyof typeof KNOWN];
  if (!schema) return { event: 'unknown', name: name.slice(0, 40) };
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ProtocolError(`bad ${name} frame: ${issue.path.join('.') || '(root)'} ${issue.message}`.slice(0, 120));
  }
  return r.data as InboundEvent;
}

/**
 * Fast path for the one message that arrives 50 times a second per call: a `media` frame in the
 * shape Twilio writes it. Anything that does not match exactly goes through the full parser.
 * Returns the payload (base64) or undefined.
 */
const MEDIA_PREFIX = '{"event":"media",';
export function quickMediaPayload(raw: string): string | undefined {
  if (!raw.startsWith(MEDIA_PREFIX)) return undefined;
  const i = raw.indexOf('"payload":"');
  if (i < 0) return undefined;
  const from = i + 11;
  const to = raw.indexOf('"', from);
  if (to < 0) return undefined;
  const payload = raw.slice(from, to);
  // Only the inbound track carries the caller; anything else takes the full path.
  if (!/"track":"inbound"/.test(raw)) return undefined;
  return /^[A-Za-z0-9+/]*={0,2}$/.test(payload) ? payload : undefined;
}

// ---- outbound (gateway → Twilio) ---------------------------------------------------------------

/** Built by concatenation: this runs for every 20 ms frame sent, and stream SIDs are [A-Za-z0-9]. */
export function mediaMessage(streamSid: string, payloadBase64: string): string {
  return `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"${payloadBase64}"}}`;
}
export function markMessage(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}
export function clearMessage(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
