import type { TextToSpeech, TtsStream } from '../../providers/types';

/**
 * One TTS connection opened ahead of need, per call, for the first clause of the next reply: the
 * connection set-up (TLS to ElevenLabs, ~100 ms and more) then happens while the caller is still
 * talking instead of after the model's first clause. ElevenLabs closes a connection after 20 s
 * without text, so a spare older than `maxIdleMs` is dropped and the clause opens its own (a spare
 * that died anyway fails its first read, and the speaker's retry opens a fresh one).
 */
export class TtsWarmer {
  private spare: { stream: Promise<TtsStream>; ac: AbortController; at: number } | undefined;

  constructor(
    private readonly tts: TextToSpeech,
    private readonly opts: { voiceId: string; model?: string },
    private readonly maxIdleMs = 15_000,
  ) {}

  /** True when there is no spare young enough to use. */
  needed(now = performance.now()): boolean {
    return !this.spare || now - this.spare.at > this.maxIdleMs;
  }

  warm(now = performance.now()) {
    if (!this.needed(now)) return;
    this.discard();
    const ac = new AbortController();
    const stream = this.tts.open({ ...this.opts, signal: ac.signal });
    stream.catch(() => {});
    this.spare = { stream, ac, at: now };
  }

  /** The spare, bound to `signal` (a barge-in aborts it), or undefined when none is fresh. */
  take(signal: AbortSignal, now = performance.now()): Promise<TtsStream> | undefined {
    const s = this.spare;
    this.spare = undefined;
    if (!s) return undefined;
    if (now - s.at > this.maxIdleMs) {
      s.ac.abort();
      return undefined;
    }
    if (signal.aborted) s.ac.abort();
    else signal.addEventListener('abort', () => s.ac.abort(), { once: true });
    return s.stream;
  }

  discard() {
    this.spare?.ac.abort();
    this.spare = undefined;
  }
}
