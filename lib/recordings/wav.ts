/**
 * The recording file format: RIFF/WAVE holding G.711 µ-law (format tag 7, WAVE_FORMAT_MULAW), 8 kHz,
 * 2 channels interleaved (left caller, right agent), one byte per sample. The bytes are exactly the
 * µ-law Twilio sent and the gateway played: nothing on the audio path is transcoded.
 *
 * A non-PCM format carries an 18-byte `fmt ` chunk (cbSize = 0) and a `fact` chunk with the sample
 * count (the WAVEFORMATEX rules); players (browsers, ffmpeg, sox) read it as is. The header is
 * written first with zero sizes and patched when the recording ends (finalHeader).
 */

export const WAVE_FORMAT_MULAW = 7;
export const SAMPLE_RATE = 8000;
export const CHANNELS = 2;
/** RIFF(12) + fmt (8+18) + fact (8+4) + data header (8). */
export const HEADER_BYTES = 58;
/** µ-law for 0 (positive zero): what silence is on either channel. */
export const ULAW_SILENCE = 0xff;

export function wavHeader(dataBytes: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(HEADER_BYTES - 8 + dataBytes + (dataBytes & 1), 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(18, 16);
  h.writeUInt16LE(WAVE_FORMAT_MULAW, 20);
  h.writeUInt16LE(CHANNELS, 22);
  h.writeUInt32LE(SAMPLE_RATE, 24);
  h.writeUInt32LE(SAMPLE_RATE * CHANNELS, 28); // byte rate: one byte per sample
  h.writeUInt16LE(CHANNELS, 32); // block align
  h.writeUInt16LE(8, 34); // bits per sample
  h.writeUInt16LE(0, 36); // cbSize
  h.write('fact', 38, 'ascii');
  h.writeUInt32LE(4, 42);
  h.writeUInt32LE(Math.floor(dataBytes / CHANNELS), 46); // samples per channel
  h.write('data', 50, 'ascii');
  h.writeUInt32LE(dataBytes, 54);
  return h;
}

export interface UlawStereo {
  sampleRate: number;
  /** µ-law bytes per channel, equal lengths. */
  left: Buffer;
  right: Buffer;
}

/** Reads a recording (tests, tools). Throws on anything that is not the format above. */
export function readUlawStereoWav(buf: Buffer): UlawStereo {
  if (buf.length < HEADER_BYTES || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a RIFF/WAVE file');
  let at = 12;
  let fmt: { tag: number; channels: number; rate: number; bits: number } | undefined;
  while (at + 8 <= buf.length) {
    const id = buf.toString('ascii', at, at + 4);
    const size = buf.readUInt32LE(at + 4);
    const body = at + 8;
    if (id === 'fmt ')
      fmt = {
        tag: buf.readUInt16LE(body),
        channels: buf.readUInt16LE(body + 2),
        rate: buf.readUInt32LE(body + 4),
        bits: buf.readUInt16LE(body + 14),
      };
    if (id === 'data') {
      if (!fmt) throw new Error('data chunk before fmt');
      if (fmt.tag !== WAVE_FORMAT_MULAW || fmt.channels !== 2 || fmt.bits !== 8)
        throw new Error(`not stereo µ-law: tag ${fmt.tag}, ${fmt.channels} channels, ${fmt.bits} bits`);
      if (body + size > buf.length) throw new Error('data chunk runs past the end of the file');
      const frames = size >> 1;
      const left = Buffer.alloc(frames);
      const right = Buffer.alloc(frames);
      for (let i = 0, p = body; i < frames; i++, p += 2) {
        left[i] = buf[p]!;
        right[i] = buf[p + 1]!;
      }
      return { sampleRate: fmt.rate, left, right };
    }
    at = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}
