/**
 * G.711 µ-law (ITU-T G.711, the variant Twilio Media Streams and ElevenLabs `ulaw_8000` use).
 * Hand-written: it is a dozen lines of a 1972 standard, and every npm package for it is either
 * unmaintained or pulls in a whole audio toolkit. Both directions are table-driven because the
 * simulators encode and decode audio for hundreds of concurrent calls.
 */

const BIAS = 0x84;
const CLIP = 32635;

function encodeSample(sample: number): number {
  let s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function decodeByte(byte: number): number {
  const u = ~byte & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return sign ? -magnitude : magnitude;
}

const DECODE = new Int16Array(256);
for (let i = 0; i < 256; i++) DECODE[i] = decodeByte(i);
export const ENCODE_TABLE = new Uint8Array(65536);
const ENCODE = ENCODE_TABLE;
for (let i = 0; i < 65536; i++) ENCODE[i] = encodeSample(i - 32768);

/** µ-law byte for a 16-bit linear sample (clamped). */
export function linearToUlaw(sample: number): number {
  const s = Math.max(-32768, Math.min(32767, Math.round(sample)));
  return ENCODE[s + 32768]!;
}

/** 16-bit linear sample for a µ-law byte. */
export function ulawToLinear(byte: number): number {
  return DECODE[byte & 0xff]!;
}

export function encodeUlaw(pcm: Int16Array | Float32Array | number[]): Buffer {
  const out = Buffer.allocUnsafe(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = linearToUlaw(pcm[i]!);
  return out;
}

export function decodeUlaw(ulaw: Uint8Array): Int16Array {
  const out = new Int16Array(ulaw.length);
  for (let i = 0; i < ulaw.length; i++) out[i] = DECODE[ulaw[i]!]!;
  return out;
}

/** µ-law digital silence (linear 0). */
export const ULAW_SILENCE = linearToUlaw(0);

export function ulawSilence(ms: number): Buffer {
  return Buffer.alloc(Math.round((ms * 8000) / 1000), ULAW_SILENCE);
}
