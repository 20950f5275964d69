import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SpeechDecoder,
  encodeSpeech,
  normalizeSpeechText,
  speechDurationMs,
  ulawSilence,
  decodeUlaw,
  encodeUlaw,
  linearToUlaw,
  ulawToLinear,
  type SpeechEvent,
} from '../../sim/audio';

function decodeAll(audio: Buffer, chunk = 160, endSilenceMs = 500): SpeechEvent[] {
  const d = new SpeechDecoder({ endSilenceMs });
  const events: SpeechEvent[] = [];
  for (let i = 0; i < audio.length; i += chunk) events.push(...d.feed(audio.subarray(i, i + chunk)));
  return events;
}

const finals = (ev: SpeechEvent[]) => ev.filter((e) => e.type === 'final').map((e) => (e as { text: string }).text);

describe('G.711 µ-law', () => {
  it('round-trips within the quantisation step and matches known codes', () => {
    expect(linearToUlaw(0)).toBe(0xff);
    expect(linearToUlaw(-1)).toBe(0x7f);
    expect(linearToUlaw(32767)).toBe(0x80);
    expect(linearToUlaw(-32768)).toBe(0x00);
    expect(ulawToLinear(0xff)).toBe(0);
    expect(ulawToLinear(0x80)).toBe(32124);
    for (const s of [1, 100, 1000, 5000, -5000, 20000, -32000]) {
      const back = ulawToLinear(linearToUlaw(s));
      expect(Math.abs(back - s)).toBeLessThanOrEqual(Math.max(8, Math.abs(s) / 16));
    }
    const pcm = Int16Array.from([0, 10, -10, 3000, -3000]);
    expect(Array.from(decodeUlaw(encodeUlaw(pcm))).map((v, i) => Math.sign(v) === Math.sign(pcm[i]!) || v === 0)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });
});

describe('speech codec', () => {
  it('decodes a sentence with partials, a final and sane timing', () => {
    const text = 'Hello, I would like to book a table for 2 at 7pm. Is that OK?';
    const audio = Buffer.concat([ulawSilence(300), encodeSpeech(text), ulawSilence(700)]);
    const ev = decodeAll(audio);
    expect(ev[0]).toEqual({ type: 'speechStart', offsetMs: expect.any(Number) });
    expect((ev[0] as { offsetMs: number }).offsetMs).toBeGreaterThanOrEqual(290);
    expect((ev[0] as { offsetMs: number }).offsetMs).toBeLessThanOrEqual(310);
    const partials = ev.filter((e) => e.type === 'partial').map((e) => (e as { text: string }).text);
    expect(partials[0]).toBe('Hello,');
    expect(partials).toContain('Hello, I would like to book a table for 2 at 7pm. Is that');
    const final = ev.at(-1)!;
    expect(final).toMatchObject({ type: 'final', text });
    const dur = (final as { durationMs: number }).durationMs;
    expect(Math.abs(dur - speechDurationMs(text))).toBeLessThanOrEqual(40);
    // ~12.5 characters per second
    expect(text.length / (dur / 1000)).toBeGreaterThan(9);
    expect(text.length / (dur / 1000)).toBeLessThan(16);
  });

  it('separates utterances by silence and sentences within one', () => {
    const audio = Buffer.concat([encodeSpeech('yes.'), ulawSilence(600), encodeSpeech('No way! Really'), ulawSilence(600)]);
    expect(finals(decodeAll(audio, 333))).toEqual(['yes.', 'No way! Really']);
  });

  it('finalises what it heard when the audio is cut mid-utterance and silence follows', () => {
    const full = encodeSpeech('this sentence is interrupted halfway through');
    const cut = full.subarray(0, Math.floor(full.length / 2) + 37);
    const got = finals(decodeAll(Buffer.concat([cut, ulawSilence(600)])));
    expect(got).toHaveLength(1);
    expect('this sentence is interrupted halfway through'.startsWith(got[0]!)).toBe(true);
    expect(got[0]!.length).toBeGreaterThan(15);
  });

  it('flush() ends an open utterance', () => {
    const d = new SpeechDecoder();
    d.feed(encodeSpeech('open ended'));
    expect(finals(d.flush())).toEqual(['open ended']);
  });

  it('round-trips random text with chunk boundaries anywhere (property)', () => {
    fc.assert(
      fc.property(
        fc.string({
          maxLength: 24,
          unit: fc.oneof(fc.constantFrom(..."aZ9 .,?!-'é字😀\t"), fc.string({ minLength: 1, maxLength: 1, unit: 'binary' })),
        }),
        fc.integer({ min: 1, max: 997 }),
        (text, chunk) => {
          const norm = normalizeSpeechText(text);
          const ev = decodeAll(Buffer.concat([encodeSpeech(text), ulawSilence(600)]), chunk);
          if (norm === '') expect(ev.filter((e) => e.type === 'final')).toEqual([]);
          else expect(finals(ev)).toEqual([norm]);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
});
