import { ENCODE_TABLE, ulawToLinear } from './g711';

/**
 * Synthetic "speech" for the simulators: real µ-law 8 kHz audio that an energy-based voice-activity
 * detector treats as speech, and that carries its own text so the STT simulator can decode what
 * was said from the audio itself (no vendor or espeak here).
 *
 * Each character is one or more dual-tone symbols (8 low × 8 high tones = 64 symbols, like DTMF)
 * under a syllable-shaped envelope: 10 ms rise, 40 ms tone, 10 ms fall, 20 ms gap = 80 ms, i.e.
 * 12.5 characters per second. Words are separated by 120 ms of silence, sentences by 270 ms; an
 * utterance starts with a preamble symbol. Upper case letters are SHIFT + letter; anything not in
 * the alphabet is ESC + four base-64 digits of its code point. Whitespace runs become one space.
 *
 * The decoder works on 10 ms blocks of its own (so chunk boundaries can fall anywhere): a block
 * under the silence threshold is a gap; a voiced block votes for the symbol whose low and high tones
 * dominate (Goertzel, tones on exact DFT bins of an 80-sample block). A run of voiced blocks ends at
 * the next gap and yields its majority symbol when it got at least two votes — so a symbol cut short
 * by a Twilio `clear` is dropped rather than misread. Silence of `endSilenceMs` ends the utterance.
 */

export const SAMPLE_RATE = 8000;
const BLOCK = 80; // 10 ms
const RAMP = 80;
const FLAT = 320;
const TONE = RAMP + FLAT + RAMP; // 60 ms
const GAP = 160; // 20 ms after every symbol
export const SYMBOL_MS = ((TONE + GAP) * 1000) / SAMPLE_RATE; // 80
const WORD_GAP = 800; // extra 100 ms: 120 ms of silence between words
const SENTENCE_GAP = 2000; // extra 250 ms after . ? !
const SPACE_SILENCE_BLOCKS = 6; // ≥ 60 ms of silence inside an utterance is a word break
const TONE_AMPLITUDE = 6000; // per tone; two tones per symbol

const LOW = [400, 600, 800, 1000, 1200, 1400, 1600, 1800];
const HIGH = [2000, 2200, 2400, 2600, 2800, 3000, 3200, 3400];

const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SHIFT = 36;
const ESC = 37;
const PREAMBLE = 38;
const PUNCT = '.,?!\'-:;"()$%&/@+=#*_[]<>';
const SYMBOL_CHARS: (string | null)[] = [...LETTERS, null, null, null, ...PUNCT];
if (SYMBOL_CHARS.length !== 64) throw new Error('speech codec alphabet must have 64 symbols');
const CHAR_TO_SYMBOL = new Map<string, number>();
SYMBOL_CHARS.forEach((c, i) => {
  if (c !== null) CHAR_TO_SYMBOL.set(c, i);
});

/** What the codec preserves: whitespace runs collapse to one space, ends trimmed. */
export function normalizeSpeechText(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function symbolsFor(ch: string): number[] {
  const direct = CHAR_TO_SYMBOL.get(ch);
  if (direct !== undefined) return [direct];
  const lower = ch.toLowerCase();
  const letter = CHAR_TO_SYMBOL.get(lower);
  if (letter !== undefined && letter < 26 && lower.toUpperCase() === ch) return [SHIFT, letter];
  const cp = ch.codePointAt(0)!;
  return [ESC, (cp >> 18) & 63, (cp >> 12) & 63, (cp >> 6) & 63, cp & 63];
}

// Unit waveforms, one per symbol (envelope included, amplitude 1 per tone), computed once.
const WAVES: Float32Array[] = [];
for (let s = 0; s < 64; s++) {
  const fl = LOW[s >> 3]!;
  const fh = HIGH[s & 7]!;
  const w = new Float32Array(TONE);
  for (let n = 0; n < TONE; n++) {
    const env = n < RAMP ? n / RAMP : n >= RAMP + FLAT ? (TONE - n) / RAMP : 1;
    w[n] = env * (Math.sin((2 * Math.PI * fl * n) / SAMPLE_RATE) + Math.sin((2 * Math.PI * fh * n) / SAMPLE_RATE));
  }
  WAVES.push(w);
}
const SILENT_BYTE = ENCODE_TABLE[32768]!;

/** Duration of `encodeSpeech(text)` in ms, without building it. */
export function speechDurationMs(text: string): number {
  return (plan(text).samples * 1000) / SAMPLE_RATE;
}

interface Plan {
  items: { symbol: number; amp: number; gapAfter: number }[];
  samples: number;
}

function plan(text: string): Plan {
  const items: Plan['items'] = [{ symbol: PREAMBLE, amp: 1, gapAfter: GAP }];
  const words = normalizeSpeechText(text).split(' ').filter(Boolean);
  words.forEach((word, wi) => {
    const chars = Array.from(word);
    if (wi > 0) items[items.length - 1]!.gapAfter += /[.?!]$/.test(words[wi - 1]!) ? SENTENCE_GAP : WORD_GAP;
    chars.forEach((ch, ci) => {
      // Syllable-like loudness contour over the word, so the envelope is not a flat buzz.
      const amp = 0.7 + 0.3 * Math.sin((Math.PI * (ci + 0.5)) / chars.length);
      for (const symbol of symbolsFor(ch)) items.push({ symbol, amp, gapAfter: GAP });
    });
  });
  return { items, samples: items.reduce((n, it) => n + TONE + it.gapAfter, 0) };
}

/**
 * µ-law audio of `text` spoken at 12.5 characters per second, starting with a preamble and ending
 * with the 20 ms gap after the last symbol (append silence to end the utterance for a listener).
 */
export function encodeSpeech(text: string): Buffer {
  const p = plan(text);
  const out = Buffer.alloc(p.samples, SILENT_BYTE);
  let at = 0;
  for (const it of p.items) {
    const wave = WAVES[it.symbol]!;
    const a = TONE_AMPLITUDE * it.amp;
    for (let n = 0; n < TONE; n++) out[at + n] = ENCODE_TABLE[(Math.round(wave[n]! * a) + 32768) | 0]!;
    at += TONE + it.gapAfter;
  }
  return out;
}

// ---- decoder -------------------------------------------------------------------------------

export type SpeechEvent =
  | { type: 'speechStart'; offsetMs: number }
  | { type: 'partial'; text: string; offsetMs: number; durationMs: number }
  /** `voiceEndMs`: where the voice stopped, to the sample (offset + duration is to the 10 ms block). */
  | { type: 'final'; text: string; offsetMs: number; durationMs: number; voiceEndMs: number }
  /** Voice was heard but no character survived (e.g. cut right after the preamble). */
  | { type: 'noMatch'; offsetMs: number; durationMs: number; voiceEndMs: number };

export interface SpeechDecoderOptions {
  /** Silence that ends an utterance (default 500 ms). */
  endSilenceMs?: number;
}

const COEF_LOW = LOW.map((f) => 2 * Math.cos((2 * Math.PI * f) / SAMPLE_RATE));
const COEF_HIGH = HIGH.map((f) => 2 * Math.cos((2 * Math.PI * f) / SAMPLE_RATE));
// Mean square below this is silence: a symbol's flat part is ~(6000·0.7)² ≈ 1.8e7.
const SILENCE_MEAN_SQUARE = 300 * 300;
const VOICE_AMPLITUDE = 300;

function goertzel(x: Float32Array, coef: number): number {
  let s1 = 0;
  let s2 = 0;
  for (let n = 0; n < BLOCK; n++) {
    const s0 = x[n]! + coef * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coef * s1 * s2;
}

/** Index of the dominant tone, or -1 when no tone clearly dominates the others. */
function dominant(x: Float32Array, coefs: number[]): number {
  let best = -1;
  let bestP = 0;
  let second = 0;
  for (let i = 0; i < coefs.length; i++) {
    const p = goertzel(x, coefs[i]!);
    if (p > bestP) {
      second = bestP;
      bestP = p;
      best = i;
    } else if (p > second) second = p;
  }
  return bestP > 4 * second ? best : -1;
}

/** Streaming decoder: feed µ-law chunks of any size, get events back in order. Deterministic. */
export class SpeechDecoder {
  private readonly endSilenceBlocks: number;
  private readonly block = new Float32Array(BLOCK);
  private fill = 0;
  private blocks = 0; // blocks processed since the start of the stream
  private silentBlocks = 0;
  private inUtterance = false;
  private uttStartBlock = 0;
  private lastVoicedBlock = 0;
  private voiceEndSample = 0;
  private votes = new Uint16Array(64);
  private runActive = false;
  private text = '';
  private pendingSpace = false;
  private shift = false;
  private esc: number[] | null = null;
  private lastPartial = '';

  constructor(opts: SpeechDecoderOptions = {}) {
    this.endSilenceBlocks = Math.max(1, Math.round((opts.endSilenceMs ?? 500) / 10));
  }

  /** Audio consumed so far, in ms. */
  get positionMs(): number {
    return this.blocks * 10 + (this.fill * 1000) / SAMPLE_RATE;
  }

  /**
   * How long to wait before answering an utterance that `ev` ended, for the answer to come
   * `latencyMs` after its segmentation silence passed. That point is counted from the end of the
   * voice, to the sample; audio already fed beyond it (20 ms frames, 10 ms blocks) has had its real
   * time, so it is taken off the wait: a simulator's latency runs from the end of speech, not from
   * our framing grid.
   */
  waitFor(ev: { voiceEndMs: number }, latencyMs: number): number {
    const pastMs = this.positionMs - (ev.voiceEndMs + this.endSilenceBlocks * 10);
    return Math.max(0, latencyMs - Math.max(0, pastMs));
  }

  feed(ulaw: Uint8Array): SpeechEvent[] {
    const events: SpeechEvent[] = [];
    for (let i = 0; i < ulaw.length; i++) {
      this.block[this.fill++] = ulawToLinear(ulaw[i]!);
      if (this.fill === BLOCK) {
        this.fill = 0;
        this.processBlock(events);
        this.blocks++;
      }
    }
    return events;
  }

  /** End of stream: finish whatever utterance is open as if enough silence followed. */
  flush(): SpeechEvent[] {
    const events: SpeechEvent[] = [];
    if (this.runActive) this.finishSymbol();
    if (this.inUtterance) this.endUtterance(events);
    return events;
  }

  private processBlock(events: SpeechEvent[]): void {
    const x = this.block;
    let energy = 0;
    for (let n = 0; n < BLOCK; n++) energy += x[n]! * x[n]!;
    if (energy / BLOCK < SILENCE_MEAN_SQUARE) {
      if (this.runActive) this.finishSymbol();
      if (!this.inUtterance) return;
      this.silentBlocks++;
      if (this.silentBlocks === SPACE_SILENCE_BLOCKS && this.text && !this.pendingSpace) {
        this.pendingSpace = true;
        if (this.text !== this.lastPartial) {
          this.lastPartial = this.text;
          events.push({ type: 'partial', text: this.text, ...this.timing() });
        }
      }
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
    // The last loud sample: simulators time their answers from the end of speech, not from the block grid.
    let n = BLOCK - 1;
    while (n > 0 && Math.abs(x[n]!) < VOICE_AMPLITUDE) n--;
    this.voiceEndSample = this.blocks * BLOCK + n + 1;
    this.runActive = true;
    const lo = dominant(x, COEF_LOW);
    const hi = lo < 0 ? -1 : dominant(x, COEF_HIGH);
    if (hi >= 0) this.votes[lo * 8 + hi]!++;
  }

  private timing() {
    return { offsetMs: this.uttStartBlock * 10, durationMs: (this.lastVoicedBlock + 1 - this.uttStartBlock) * 10 };
  }

  private finishSymbol(): void {
    this.runActive = false;
    let best = -1;
    let bestVotes = 1; // at least two votes
    for (let s = 0; s < 64; s++) {
      if (this.votes[s]! > bestVotes) {
        bestVotes = this.votes[s]!;
        best = s;
      }
    }
    this.votes.fill(0);
    if (best >= 0) this.applySymbol(best);
  }

  private applySymbol(s: number): void {
    if (this.esc) {
      this.esc.push(s);
      if (this.esc.length === 4) {
        const [a, b, c, d] = this.esc as [number, number, number, number];
        this.esc = null;
        const cp = (a << 18) | (b << 12) | (c << 6) | d;
        if (cp <= 0x10ffff) this.append(String.fromCodePoint(cp));
      }
      return;
    }
    if (s === ESC) this.esc = [];
    else if (s === SHIFT) this.shift = true;
    else if (s !== PREAMBLE) {
      const ch = SYMBOL_CHARS[s]!;
      this.append(this.shift ? ch.toUpperCase() : ch);
      this.shift = false;
    }
  }

  private append(ch: string): void {
    if (this.pendingSpace) this.text += ' ';
    this.pendingSpace = false;
    this.text += ch;
  }

  private endUtterance(events: SpeechEvent[]): void {
    const timing = { ...this.timing(), voiceEndMs: (this.voiceEndSample * 1000) / SAMPLE_RATE };
    if (this.text) events.push({ type: 'final', text: this.text, ...timing });
    else events.push({ type: 'noMatch', ...timing });
    this.inUtterance = false;
    this.silentBlocks = 0;
    this.text = '';
    this.lastPartial = '';
    this.pendingSpace = false;
    this.shift = false;
    this.esc = null;
  }
}
