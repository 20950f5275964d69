import type { Logger } from 'pino';
import type { TextToSpeech, TtsStream } from '../../providers/types';
import { recordProviderError } from '../../lib/metrics';
import { BYTES_PER_MS, type AudioOut } from '../stream/outbound';
import type { UsageMeter } from './usage';

/**
 * Speaks one agent utterance: text units (clauses) in, audio to Twilio out, in order.
 *
 * Each clause gets its own TTS stream, opened as soon as its text is known and at most one clause
 * ahead of the one playing, so the next clause is synthesised while the current one plays and
 * its end is known exactly: a mark confirmed at the end of a clause's audio means the caller heard
 * that clause. Within a clause, marks (one per TTS chunk) give the fraction heard, which is how
 * a barge-in truncates the agent's transcript to what was actually played.
 *
 * A TTS stream that fails is retried once for its clause (ElevenLabs bills the characters again);
 * a second failure rejects `sent`.
 */

export interface MarkInfo {
  speaker: Speaker;
  clause: number;
  endMs: number;
}

interface Clause {
  text: string;
  sentMs: number;
  totalMs?: number;
  confirmedMs: number;
  stream?: Promise<TtsStream>;
}

export interface SpeakerDeps {
  tts: TextToSpeech;
  voiceId: string;
  model?: string;
  out: AudioOut<MarkInfo>;
  usage: UsageMeter;
  log: Logger;
  signal: AbortSignal;
  /** First audio byte from TTS, first frame to Twilio: latency stamps (performance.now()). */
  onFirstByte?: () => void;
  onFirstFrame?: () => void;
  /** Everything sent has been confirmed played (or the confirmation is overdue). */
  onPlayed?: () => void;
  /** A TTS connection opened ahead of time, for the first clause (conversation/tts-warm.ts). */
  takeWarm?: (signal: AbortSignal) => Promise<TtsStream> | undefined;
}

/** Marks lost on a broken stream must not hold a finished utterance forever. */
const PLAYBACK_GRACE_MS = 3_000;
const ULAW_SILENCE = 0xff;
// Each clause is synthesised alone, so the pause a speaker makes between them is ours to add.
const PAUSE_AFTER_SENTENCE = Buffer.alloc(250 * BYTES_PER_MS, ULAW_SILENCE);
const PAUSE_AFTER_CLAUSE = Buffer.alloc(120 * BYTES_PER_MS, ULAW_SILENCE);

export class Speaker {
  private readonly clauses: Clause[] = [];
  private ended = false;
  private playing = -1;
  private wake: (() => void) | undefined;
  private firstByte = false;
  private firstFrame = false;
  private finishedSending = false;
  private failed = false;
  private playedFired = false;
  private graceTimer: NodeJS.Timeout | undefined;
  /** Resolves when all audio has been sent (or the utterance was aborted); rejects when TTS failed twice. */
  readonly sent: Promise<void>;

  constructor(private readonly deps: SpeakerDeps) {
    this.sent = this.run();
    this.sent.catch(() => {});
    deps.signal.addEventListener('abort', () => this.poke(), { once: true });
  }

  add(text: string) {
    if (this.ended || this.deps.signal.aborted) return;
    this.clauses.push({ text, sentMs: 0, confirmedMs: 0 });
    const i = this.clauses.length - 1;
    // Opened ahead of playing (prefetch); a failure is handled where the stream is awaited.
    if (i <= this.playing + 1) void this.open(i);
    this.poke();
  }

  /** No more text. */
  end() {
    this.ended = true;
    this.poke();
  }

  get clauseCount(): number {
    return this.clauses.length;
  }

  get audioSent(): boolean {
    return this.clauses.some((c) => c.sentMs > 0);
  }

  /** A mark of this speaker came back from Twilio. */
  confirm(info: MarkInfo) {
    const c = this.clauses[info.clause];
    if (c) c.confirmedMs = Math.max(c.confirmedMs, info.endMs);
    this.checkPlayed();
  }

  /** Text the caller has heard, from confirmed marks: whole clauses, then the heard share of the next, cut at a word. */
  spokenText(fromClause = 0): string {
    const parts: string[] = [];
    for (let i = fromClause; i < this.clauses.length; i++) {
      const c = this.clauses[i]!;
      if (c.totalMs !== undefined && c.confirmedMs >= c.totalMs && c.totalMs > 0) {
        parts.push(c.text);
        continue;
      }
      const denom = c.totalMs ?? c.sentMs;
      if (c.confirmedMs > 0 && denom > 0) {
        const chars = Math.floor((c.text.length * c.confirmedMs) / denom);
        const cut = c.text.slice(0, chars + 1).lastIndexOf(' ');
        const heard = (chars >= c.text.length ? c.text : cut > 0 ? c.text.slice(0, cut) : '').trim();
        if (heard) parts.push(heard);
      }
      break;
    }
    return parts.join(' ');
  }

  fullText(fromClause = 0): string {
    return this.clauses
      .slice(fromClause)
      .map((c) => c.text)
      .join(' ');
  }

  dispose() {
    clearTimeout(this.graceTimer);
  }

  private poke() {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private open(i: number, fresh = false): Promise<TtsStream> {
    const c = this.clauses[i]!;
    if (!c.stream) {
      const { tts, voiceId, model, signal, usage } = this.deps;
      const warm = i === 0 && !fresh ? this.deps.takeWarm?.(signal) : undefined;
      c.stream = (warm ?? tts.open({ voiceId, model, signal })).then((s) => {
        // ElevenLabs bills what it receives: the adapter's trailing space (words must end with one) included.
        usage.ttsCharacters += Array.from(c.text).length + (/\s$/.test(c.text) ? 0 : 1);
        s.sendText(c.text);
        s.end();
        return s;
      });
      c.stream.catch(() => {});
    }
    return c.stream;
  }

  private async run(): Promise<void> {
    try {
      for (let i = 0; ; i++) {
        while (i >= this.clauses.length && !this.ended && !this.deps.signal.aborted)
          await new Promise<void>((r) => (this.wake = r));
        if (i >= this.clauses.length || this.deps.signal.aborted) break;
        this.playing = i;
        void this.open(i);
        if (i + 1 < this.clauses.length) void this.open(i + 1);
        await this.playClause(i);
        if (this.deps.signal.aborted) break;
      }
    } catch (err) {
      this.failed = true;
      throw err;
    } finally {
      this.finishedSending = true;
      if (!this.deps.signal.aborted && !this.failed) this.armGrace();
      this.checkPlayed();
    }
  }

  private async playClause(i: number) {
    const c = this.clauses[i]!;
    const { out, signal } = this.deps;
    let paused = i === 0;
    for (let attempt = 1; ; attempt++) {
      try {
        const s = await this.open(i, attempt > 1);
        for await (const chunk of s.audio) {
          if (signal.aborted) return;
          if (!paused) {
            paused = true;
            const pause = /[.?!…。？！]["')\]]*$/.test(this.clauses[i - 1]!.text) ? PAUSE_AFTER_SENTENCE : PAUSE_AFTER_CLAUSE;
            out.play(pause, { speaker: this, clause: i, endMs: 0 });
          }
          if (!this.firstByte) {
            this.firstByte = true;
            this.deps.onFirstByte?.();
          }
          c.sentMs += chunk.length / BYTES_PER_MS;
          out.play(chunk, { speaker: this, clause: i, endMs: c.sentMs });
          if (!this.firstFrame) {
            this.firstFrame = true;
            this.deps.onFirstFrame?.();
          }
        }
        if (!signal.aborted) c.totalMs = c.sentMs;
        return;
      } catch (err) {
        if (signal.aborted) return;
        recordProviderError('elevenlabs', (err as { code?: string }).code);
        if (attempt >= 2) throw err;
        this.deps.log.warn({ err: (err as Error).message, clause: i }, 'TTS failed mid-utterance; retrying the clause');
        // The retry speaks the clause from its start; marks of the lost stream stay valid.
        c.stream = undefined;
        c.sentMs = 0;
        c.confirmedMs = 0;
      }
    }
  }

  private armGrace() {
    const outstanding = this.clauses.reduce((n, c) => n + Math.max(0, c.sentMs - c.confirmedMs), 0);
    this.graceTimer = setTimeout(() => this.firePlayed(), outstanding + PLAYBACK_GRACE_MS);
    this.graceTimer.unref?.();
  }

  private checkPlayed() {
    if (!this.finishedSending || this.failed || this.deps.signal.aborted) return;
    if (this.clauses.every((c) => c.totalMs !== undefined && c.confirmedMs >= c.totalMs)) this.firePlayed();
  }

  private firePlayed() {
    if (this.playedFired || this.deps.signal.aborted) return;
    this.playedFired = true;
    clearTimeout(this.graceTimer);
    this.deps.onPlayed?.();
  }
}
