import { encodeSpeech, speechDurationMs, SpeechDecoder, type SpeechEvent } from './speech';
import { encodeVoice, VoiceDecoder } from './voice';

/**
 * Which speech the simulators speak and understand. `tones` (the default): the two-tone code of
 * sim/audio/speech.ts, instant and exact, that only the simulators can read. `espeak`: espeak-ng
 * speech a person can listen to (sim/audio/voice.ts), recognised from the registered words' bytes.
 * SIM_SPEECH picks it for every simulator in a process; each simulator also takes it as an option.
 */
export type SimSpeech = 'tones' | 'espeak';

export function defaultSimSpeech(env: NodeJS.ProcessEnv = process.env): SimSpeech {
  const v = env.SIM_SPEECH;
  if (v === undefined || v === '' || v === 'tones') return 'tones';
  if (v === 'espeak') return 'espeak';
  throw new Error(`SIM_SPEECH must be tones or espeak (got ${JSON.stringify(v)})`);
}

/** What the Azure simulator and the callee listen with: the same events either way. */
export interface SpeechListener {
  feed(ulaw: Uint8Array): SpeechEvent[];
  flush(): SpeechEvent[];
  waitFor(ev: { voiceEndMs: number }, latencyMs: number): number;
  readonly positionMs: number;
}

export function createListener(mode: SimSpeech, opts: { endSilenceMs?: number } = {}): SpeechListener {
  return mode === 'espeak' ? new VoiceDecoder(opts) : new SpeechDecoder(opts);
}

/** Speech for `text` and when each character is spoken (ElevenLabs' alignment), ms from its start. */
export interface SpokenText {
  audio: Buffer;
  chars: string[];
  charStartMs: number[];
  charDurationMs: number[];
}

export async function speakText(mode: SimSpeech, text: string): Promise<SpokenText> {
  if (mode === 'tones') {
    const chars = Array.from(text);
    const per = speechDurationMs(text) / Math.max(1, chars.length);
    return {
      audio: encodeSpeech(text),
      chars,
      charStartMs: chars.map((_, k) => Math.round(k * per)),
      charDurationMs: chars.map(() => Math.round(per)),
    };
  }
  const u = await encodeVoice(text);
  const chars: string[] = [];
  const charStartMs: number[] = [];
  const charDurationMs: number[] = [];
  u.words.forEach((w, i) => {
    if (i > 0) {
      // The space between two words is the silence between them.
      const prevEnd = u.words[i - 1]!.end;
      chars.push(' ');
      charStartMs.push(Math.round(prevEnd / 8));
      charDurationMs.push(Math.round((w.start - prevEnd) / 8));
    }
    const cs = Array.from(w.text);
    const per = (w.end - w.start) / 8 / cs.length;
    cs.forEach((c, k) => {
      chars.push(c);
      charStartMs.push(Math.round(w.start / 8 + k * per));
      charDurationMs.push(Math.round(per));
    });
  });
  return { audio: u.audio, chars, charStartMs, charDurationMs };
}
