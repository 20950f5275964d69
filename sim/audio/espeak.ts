import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { linearToUlaw } from './g711';

/**
 * Speech for the simulators from espeak-ng (Debian package, English and Malay voices), as 8 kHz
 * µ-law — what Twilio carries and ElevenLabs' `ulaw_8000` returns. espeak-ng writes a 22,050 Hz
 * 16-bit WAV; it is low-pass filtered and resampled to 8 kHz here with a windowed-sinc kernel (no
 * sox on the machine, and a few lines of arithmetic do not need a library), then µ-law encoded.
 *
 * One word at a time, so every word's audio is known exactly (what the STT simulator matches, and
 * the character timings the TTS simulator reports). Each word's audio is cached by voice and text,
 * in memory and on disk (os.tmpdir()/aicall-espeak), so a test suite synthesises each word once.
 */

const run = promisify(execFile);
const OUT_RATE = 8000;
/** Below this (linear) at either end of a word is silence, trimmed: the gaps are the simulator's. */
const TRIM_LEVEL = 120;

export type EspeakVoice = 'en-us' | 'ms';

const memory = new Map<string, Buffer>();
const inflight = new Map<string, Promise<Buffer>>();
const cacheDir = join(process.env.AICALL_ESPEAK_CACHE ?? join(tmpdir(), 'aicall-espeak'), 'v1');

/** µ-law 8 kHz audio of one word (trimmed of leading and trailing silence). */
export async function espeakWord(word: string, voice: EspeakVoice): Promise<Buffer> {
  const id = `${voice}\u0000${word}`;
  const hit = memory.get(id);
  if (hit) return hit;
  let p = inflight.get(id);
  if (!p) {
    p = synthesise(word, voice, id).finally(() => inflight.delete(id));
    inflight.set(id, p);
  }
  return p;
}

async function synthesise(word: string, voice: EspeakVoice, id: string): Promise<Buffer> {
  const file = join(cacheDir, `${createHash('sha1').update(id).digest('hex')}.ulaw`);
  let audio: Buffer | undefined;
  try {
    audio = readFileSync(file);
  } catch {
    // not cached yet
  }
  if (!audio) {
    // `--` ends the options: a word starting with "-" is text, not a flag.
    const { stdout } = await run('espeak-ng', ['-v', voice, '-s', '160', '--stdout', '--', word], {
      encoding: 'buffer',
      maxBuffer: 16 * 1024 * 1024,
    });
    audio = toUlaw8k(stdout);
    try {
      mkdirSync(cacheDir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, audio);
      renameSync(tmp, file); // atomic: a concurrent reader sees the whole file or none
    } catch {
      // a read-only temp dir costs speed, not correctness
    }
  }
  memory.set(id, audio);
  return audio;
}

/** espeak-ng's WAV (16-bit PCM mono, any rate; its data size field is a placeholder) → trimmed µ-law 8 kHz. */
export function toUlaw8k(wav: Buffer): Buffer {
  if (wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error('espeak-ng did not write a WAV');
  let at = 12;
  let rate = 22050;
  let dataAt = -1;
  while (at + 8 <= wav.length) {
    const id = wav.toString('ascii', at, at + 4);
    const size = wav.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      if (wav.readUInt16LE(at + 8) !== 1 || wav.readUInt16LE(at + 22) !== 16) throw new Error('espeak-ng WAV is not 16-bit PCM');
      rate = wav.readUInt32LE(at + 12);
    }
    if (id === 'data') {
      dataAt = at + 8;
      break;
    }
    at += 8 + size + (size & 1);
  }
  if (dataAt < 0) throw new Error('espeak-ng WAV has no data');
  const n = (wav.length - dataAt) >> 1;
  const pcm = new Float32Array(n);
  for (let i = 0; i < n; i++) pcm[i] = wav.readInt16LE(dataAt + 2 * i);
  const out = resample(pcm, rate, OUT_RATE);
  let s = 0;
  let e = out.length;
  while (s < e && Math.abs(out[s]!) < TRIM_LEVEL) s++;
  while (e > s && Math.abs(out[e - 1]!) < TRIM_LEVEL) e--;
  const bytes = Buffer.alloc(e - s);
  for (let i = s; i < e; i++) bytes[i - s] = linearToUlaw(Math.max(-32768, Math.min(32767, Math.round(out[i]!))));
  return bytes;
}

/**
 * Band-limited resampling: each output sample is the input convolved with a Hann-windowed sinc
 * whose cutoff (0.45 × the output rate) keeps the telephone band and removes what would alias.
 */
export function resample(x: Float32Array, from: number, to: number): Float32Array {
  const ratio = from / to;
  const cutoff = (0.45 * to) / from; // cycles per input sample
  const half = 24; // taps each side, in input samples
  const outLen = Math.floor(x.length / ratio);
  const y = new Float32Array(outLen);
  for (let k = 0; k < outLen; k++) {
    const t = k * ratio;
    const c = Math.floor(t);
    let acc = 0;
    for (let i = c - half + 1; i <= c + half; i++) {
      if (i < 0 || i >= x.length) continue;
      const d = t - i;
      const sinc = d === 0 ? 2 * cutoff : Math.sin(2 * Math.PI * cutoff * d) / (Math.PI * d);
      const w = 0.5 + 0.5 * Math.cos((Math.PI * d) / half);
      acc += x[i]! * sinc * w;
    }
    y[k] = acc;
  }
  return y;
}
