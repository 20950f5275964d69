import { decodeUlaw } from '../audio';

/**
 * Minimal RIFF/WAVE (PCM 16-bit little-endian) writer and reader: the 44-byte canonical header is
 * all any player needs, so no library.
 */

export interface Wav {
  sampleRate: number;
  /** One array per channel, equal lengths. */
  channels: Int16Array[];
}

export function encodeWav({ sampleRate, channels }: Wav): Buffer {
  const nch = channels.length;
  if (nch === 0) throw new Error('a WAV needs at least one channel');
  const frames = channels[0]!.length;
  if (channels.some((c) => c.length !== frames)) throw new Error('WAV channels must have equal lengths');
  const dataBytes = frames * nch * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'ascii');
  out.write('fmt ', 12, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(nch, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * nch * 2, 28);
  out.writeUInt16LE(nch * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(dataBytes, 40);
  let at = 44;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < nch; c++) {
      out.writeInt16LE(channels[c]![i]!, at);
      at += 2;
    }
  }
  return out;
}

/** Reads what encodeWav writes (PCM 16-bit, canonical header); throws on anything else. */
export function decodeWav(buf: Buffer): Wav {
  if (buf.length < 44 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('not a RIFF/WAVE file');
  if (buf.toString('ascii', 12, 16) !== 'fmt ' || buf.readUInt16LE(20) !== 1 || buf.readUInt16LE(34) !== 16)
    throw new Error('not 16-bit PCM');
  if (buf.toString('ascii', 36, 40) !== 'data') throw new Error('no data chunk after fmt');
  const nch = buf.readUInt16LE(22);
  const sampleRate = buf.readUInt32LE(24);
  const dataBytes = buf.readUInt32LE(40);
  if (buf.readUInt32LE(4) !== 36 + dataBytes || buf.length !== 44 + dataBytes) throw new Error('WAV sizes do not match the file');
  const frames = dataBytes / (2 * nch);
  const channels = Array.from({ length: nch }, () => new Int16Array(frames));
  for (let i = 0, at = 44; i < frames; i++) for (let c = 0; c < nch; c++, at += 2) channels[c]![i] = buf.readInt16LE(at);
  return { sampleRate, channels };
}

/** Stereo 8 kHz WAV from two µ-law tracks of equal length (left, right). */
export function stereoWavFromUlaw(left: Buffer, right: Buffer): Buffer {
  return encodeWav({ sampleRate: 8000, channels: [decodeUlaw(left), decodeUlaw(right)] });
}
