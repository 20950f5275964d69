import { createHash } from 'node:crypto';
import { espeakWord, type EspeakVoice } from './espeak';
import { ulawToLinear, ULAW_SILENCE } from './g711';
import type { SpeechEvent } from './speech';

/**
 * Audible simulated speech (SIM_SPEECH=espeak): espeak-ng words with silence between them, and the
 * listener that recognises them from the audio alone.
 *
 * Recognition works as a real service does from the outside — audio in, words out — by a trick that
 * only a simulator can play: every word the simulators ever speak is registered here (its exact
 * µ-law bytes) by whoever spoke it (a callee, the TTS simulator), and the listener finds those bytes
 * in what arrives. The media gateway does not transcode, so bytes arrive unchanged, in any chunking.
 * A word is recognised once all of its bytes have arrived in order: one cut short by a `clear` is
 * not, nor is anything never registered — unknown audio is recognised as nothing. The registry is
 * per process: the simulators share one process (sim/server.ts) and the tests run them in theirs.
 *
 * Matching: a rolling hash of the last 32 bytes is looked up among the words' first 32 bytes; a hit
 * becomes a candidate that must then match byte for byte to the word's end. Two words whose audio is
 * identical (espeak says "Hello," and "Hello" alike) would be ambiguous, so a later one gets an
 * inaudible change (one sample's lowest bit) until its bytes are its own.
 */

const WINDOW = 32;
const BASE = 0x01000193;
let BASE_POW = 1; // BASE^WINDOW mod 2^32
for (let i = 0; i < WINDOW; i++) BASE_POW = Math.imul(BASE_POW, BASE) >>> 0;

interface Clip {
  text: string;
  audio: Buffer;
}

const clipsByWord = new Map<string, Clip>();
const clipsByContent = new Map<string, Clip>();
const starts = new Map<number, Clip[]>();

function hashOf(b: Uint8Array, from: number): number {
  let h = 0;
  for (let i = from; i < from + WINDOW; i++) h = (Math.imul(h, BASE) + b[i]!) >>> 0;
  return h;
}

function register(text: string, voice: EspeakVoice, raw: Buffer): Clip {
  const id = `${voice}\u0000${text}`;
  const known = clipsByWord.get(id);
  if (known) return known;
  let audio = raw.length >= WINDOW ? raw : Buffer.concat([raw, Buffer.alloc(WINDOW - raw.length, 0x7e)]);
  const digest = (b: Buffer) => createHash('sha1').update(b).digest('hex');
  for (let k = 1; clipsByContent.has(digest(audio)); k++) {
    audio = Buffer.from(audio);
    const at = audio.length - 1 - (k % Math.max(1, audio.length - WINDOW));
    audio[at] = audio[at]! ^ 1;
  }
  const clip = { text, audio };
  clipsByWord.set(id, clip);
  clipsByContent.set(digest(audio), clip);
  const h = hashOf(audio, 0);
  const list = starts.get(h) ?? [];
  list.push(clip);
  starts.set(h, list);
  return clip;
}

// ---- speaking --------------------------------------------------------------------------------

const MALAY =
  /\b(saya|tidak|terima|kasih|boleh|jangan|telefon|lagi|encik|puan|selamat|ya|tak|mahu|nak|apa|siapa|ini|itu|dari|untuk|dengan|kami|awak|anda|baik)\b/i;

/** Which espeak-ng voice says `text`: Malay when it reads as Malay, else English. */
export function voiceFor(text: string): EspeakVoice {
  const words = text.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  const malay = words.filter((w) => MALAY.test(w)).length;
  return malay > 0 && malay * 3 >= words.length ? 'ms' : 'en-us';
}

export interface VoiceWord {
  text: string;
  /** Byte (= sample) offsets of the word's audio in the utterance. */
  start: number;
  end: number;
}

export interface VoiceUtterance {
  audio: Buffer;
  words: VoiceWord[];
}

const WORD_GAP = 800; // 100 ms between words
const SENTENCE_GAP = 2000; // 250 ms after . ? ! (under the 300 ms segmentation silence, as the tone codec)
const TAIL = 160; // 20 ms after the last word, as the tone codec ends

/** µ-law 8 kHz speech of `text` and where each word is in it; every word is registered for recognition. */
export async function encodeVoice(text: string, opts: { voice?: EspeakVoice } = {}): Promise<VoiceUtterance> {
  const tokens = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const voice = opts.voice ?? voiceFor(text);
  const clips: Clip[] = [];
  // Two espeak-ng processes at a time: the machine is shared, and most words come from the cache.
  for (let i = 0; i < tokens.length; i += 2) {
    const pair = await Promise.all(tokens.slice(i, i + 2).map(async (t) => register(t, voice, await espeakWord(t, voice))));
    clips.push(...pair);
  }
  const parts: Buffer[] = [];
  const words: VoiceWord[] = [];
  let at = 0;
  clips.forEach((c, i) => {
    words.push({ text: c.text, start: at, end: at + c.audio.length });
    parts.push(c.audio);
    at += c.audio.length;
    const gap = i === clips.length - 1 ? TAIL : /[.?!]$/.test(c.text) ? SENTENCE_GAP : WORD_GAP;
    parts.push(Buffer.alloc(gap, ULAW_SILENCE));
    at += gap;
  });
  return { audio: Buffer.concat(parts), words };
}

// ---- listening -------------------------------------------------------------------------------

const SILENCE_MEAN_SQUARE = 300 * 300;
const VOICE_AMPLITUDE = 300;
const BLOCK = 80;

interface Candidate {
  clip: Clip;
  matched: number;
}

/**
 * The listener: the same events, timing and API as the tone codec's SpeechDecoder (speechStart,
 * a partial as each word is recognised, a final after `endSilenceMs` of silence, noMatch when voice
 * was heard but no word recognised), so the Azure simulator and the callee use either.
 */
export class VoiceDecoder {
  private readonly endSilenceBlocks: number;
  private blockEnergy = 0;
  private fill = 0;
  private blocks = 0;
  private silentBlocks = 0;
  private inUtterance = false;
  private uttStartBlock = 0;
  private lastVoicedBlock = 0;
  private voiceEndSample = 0;
  private lastLoudInBlock = -1;
  private readonly ring = new Uint8Array(WINDOW);
  private pos = 0;
  private hash = 0;
  private candidates: Candidate[] = [];
  private words: string[] = [];
  private lastPartial = '';

  constructor(opts: { endSilenceMs?: number } = {}) {
    this.endSilenceBlocks = Math.max(1, Math.round((opts.endSilenceMs ?? 500) / 10));
  }

  get positionMs(): number {
    return this.blocks * 10 + (this.fill * 1000) / 8000;
  }

  waitFor(ev: { voiceEndMs: number }, latencyMs: number): number {
    const pastMs = this.positionMs - (ev.voiceEndMs + this.endSilenceBlocks * 10);
    return Math.max(0, latencyMs - Math.max(0, pastMs));
  }

  feed(ulaw: Uint8Array): SpeechEvent[] {
    const events: SpeechEvent[] = [];
    for (let i = 0; i < ulaw.length; i++) {
      const b = ulaw[i]!;
      this.match(b, events);
      const x = ulawToLinear(b);
      this.blockEnergy += x * x;
      if (Math.abs(x) >= VOICE_AMPLITUDE) this.lastLoudInBlock = this.fill;
      if (++this.fill === BLOCK) {
        this.processBlock(events);
        this.fill = 0;
        this.blockEnergy = 0;
        this.lastLoudInBlock = -1;
        this.blocks++;
      }
    }
    return events;
  }

  flush(): SpeechEvent[] {
    const events: SpeechEvent[] = [];
    if (this.inUtterance) this.endUtterance(events);
    return events;
  }

  private match(b: number, events: SpeechEvent[]): void {
    // Candidates advance or drop out on this byte.
    if (this.candidates.length) {
      const next: Candidate[] = [];
      for (const c of this.candidates) {
        if (c.clip.audio[c.matched] !== b) continue;
        if (++c.matched === c.clip.audio.length) {
          this.recognised(c.clip, events);
          this.candidates = [];
          return this.roll(b);
        }
        next.push(c);
      }
      this.candidates = next;
    }
    this.roll(b);
  }

  private roll(b: number): void {
    const out = this.ring[this.pos % WINDOW]!;
    this.ring[this.pos % WINDOW] = b;
    this.pos++;
    this.hash = (Math.imul(this.hash, BASE) + b - Math.imul(out, BASE_POW)) >>> 0;
    if (this.pos < WINDOW) return;
    const hits = starts.get(this.hash);
    if (!hits) return;
    for (const clip of hits) {
      let same = true;
      for (let i = 0; i < WINDOW && same; i++) same = this.ring[(this.pos + i) % WINDOW] === clip.audio[i];
      if (same && this.candidates.length < 16) this.candidates.push({ clip, matched: WINDOW });
    }
  }

  private recognised(clip: Clip, events: SpeechEvent[]): void {
    this.words.push(clip.text);
    const text = this.words.join(' ');
    if (this.inUtterance && text !== this.lastPartial) {
      this.lastPartial = text;
      events.push({ type: 'partial', text, ...this.timing() });
    }
  }

  private processBlock(events: SpeechEvent[]): void {
    if (this.blockEnergy / BLOCK < SILENCE_MEAN_SQUARE) {
      if (!this.inUtterance) return;
      this.silentBlocks++;
      if (this.silentBlocks >= this.endSilenceBlocks) this.endUtterance(events);
      return;
    }
    this.silentBlocks = 0;
    if (!this.inUtterance) {
      this.inUtterance = true;
      this.uttStartBlock = this.blocks;
      events.push({ type: 'speechStart', offsetMs: this.blocks * 10 });
    }
    this.lastVoicedBlock = this.blocks;
    this.voiceEndSample = this.blocks * BLOCK + Math.max(0, this.lastLoudInBlock) + 1;
  }

  private timing() {
    return { offsetMs: this.uttStartBlock * 10, durationMs: (this.lastVoicedBlock + 1 - this.uttStartBlock) * 10 };
  }

  private endUtterance(events: SpeechEvent[]): void {
    const timing = { ...this.timing(), voiceEndMs: (this.voiceEndSample * 1000) / 8000 };
    const text = this.words.join(' ');
    if (text) events.push({ type: 'final', text, ...timing });
    else events.push({ type: 'noMatch', ...timing });
    this.inUtterance = false;
    this.silentBlocks = 0;
    this.words = [];
    this.lastPartial = '';
  }
}
