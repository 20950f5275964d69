import { describe, expect, it } from 'vitest';
import { encodeSpeech, ulawSilence, type SpeechEvent } from '../../sim/audio';
import { encodeVoice, VoiceDecoder, voiceFor } from '../../sim/audio/voice';
import { espeakWord, resample } from '../../sim/audio/espeak';
import { decodeUlaw } from '../../sim/audio/g711';
import { defaultSimSpeech } from '../../sim/audio/mode';

/** Audible simulated speech: espeak-ng words as 8 kHz µ-law, recognised back from the bytes alone. */

function listen(audio: Buffer, chunk: number, endSilenceMs = 300): SpeechEvent[] {
  const d = new VoiceDecoder({ endSilenceMs });
  const out: SpeechEvent[] = [];
  for (let i = 0; i < audio.length; i += chunk) out.push(...d.feed(audio.subarray(i, i + chunk)));
  out.push(...d.flush());
  return out;
}

describe('espeak-ng speech for the simulators', () => {
  it('is real speech in the telephone band: 8 kHz µ-law, loud enough, long as spoken words are', async () => {
    const u = await encodeVoice('Hello, this is Aina from Acme.');
    expect(u.words.map((w) => w.text)).toEqual(['Hello,', 'this', 'is', 'Aina', 'from', 'Acme.']);
    const seconds = u.audio.length / 8000;
    expect(seconds).toBeGreaterThan(1.2);
    expect(seconds).toBeLessThan(4);
    const pcm = decodeUlaw(u.words.length ? u.audio.subarray(u.words[0]!.start, u.words[0]!.end) : u.audio);
    const rms = Math.sqrt(pcm.reduce((s, x) => s + x * x, 0) / pcm.length);
    expect(rms).toBeGreaterThan(500);
    // Not a tone code: the tone codec's audio of the same text is a different thing entirely.
    expect(u.audio.equals(encodeSpeech('Hello, this is Aina from Acme.'))).toBe(false);
  });

  it('the resampler keeps the band and removes what would alias (a 1 kHz tone passes, 6 kHz does not)', () => {
    const tone = (f: number) => Float32Array.from({ length: 22050 }, (_, i) => 10_000 * Math.sin((2 * Math.PI * f * i) / 22050));
    const rms = (y: Float32Array) => Math.sqrt(y.slice(100, -100).reduce((s, x) => s + x * x, 0) / (y.length - 200));
    const pass = resample(tone(1000), 22050, 8000);
    expect(pass.length).toBe(8000);
    expect(rms(pass)).toBeGreaterThan(6_500);
    expect(rms(resample(tone(6000), 22050, 8000))).toBeLessThan(300);
  });

  it('SIM_SPEECH picks the speech; anything else is a clear error', () => {
    expect(defaultSimSpeech({})).toBe('tones');
    expect(defaultSimSpeech({ SIM_SPEECH: 'espeak' })).toBe('espeak');
    expect(() => defaultSimSpeech({ SIM_SPEECH: 'festival' })).toThrow(/SIM_SPEECH must be tones or espeak/);
  });

  it('speaks Malay with the Malay voice', async () => {
    expect(voiceFor('Jangan telefon saya lagi.')).toBe('ms');
    expect(voiceFor('Yes, I am interested.')).toBe('en-us');
    const ms = await espeakWord('telefon', 'ms');
    const en = await espeakWord('telefon', 'en-us');
    expect(ms.equals(en)).toBe(false);
  });

  it('recognises registered speech from its bytes in any chunking: partials per word, a final after the silence', async () => {
    const text = 'Jangan telefon saya lagi.';
    const u = await encodeVoice(text);
    for (const chunk of [1, 160, 333, 3200]) {
      const ev = listen(Buffer.concat([ulawSilence(200), u.audio, ulawSilence(500)]), chunk);
      expect(ev[0]).toMatchObject({ type: 'speechStart' });
      expect(ev.filter((e) => e.type === 'partial').map((e) => (e as { text: string }).text)).toEqual([
        'Jangan',
        'Jangan telefon',
        'Jangan telefon saya',
        text,
      ]);
      const final = ev.at(-1)!;
      expect(final).toMatchObject({ type: 'final', text });
      expect(Math.abs((final as { offsetMs: number }).offsetMs - 200)).toBeLessThanOrEqual(20);
    }
  });

  it('audio cut mid-word keeps the words heard whole; unknown audio is recognised as nothing', async () => {
    const u = await encodeVoice('Our new plan gives you unlimited calls.');
    const cut = u.audio.subarray(0, Math.floor((u.words[2]!.start + u.words[2]!.end) / 2));
    const ev = listen(Buffer.concat([cut, ulawSilence(500)]), 160);
    expect(ev.at(-1)).toMatchObject({ type: 'final', text: 'Our new' });

    const tones = listen(Buffer.concat([encodeSpeech('not registered speech'), ulawSilence(500)]), 160);
    expect(tones.map((e) => e.type)).toEqual(['speechStart', 'noMatch']);
    const noise = Buffer.from(Array.from({ length: 8000 }, (_, i) => ((i * 7919) % 256) & 0x7f));
    expect(listen(Buffer.concat([noise, ulawSilence(500)]), 160).filter((e) => e.type === 'final')).toEqual([]);
  });
});
