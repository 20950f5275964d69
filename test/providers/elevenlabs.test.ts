import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startElevenLabsSim, type ElevenLabsSim } from '../../sim/elevenlabs/server';
import { ElevenLabsTextToSpeech, TtsError } from '../../providers/elevenlabs/adapter';
import { SpeechDecoder, ulawSilence, type SpeechEvent } from '../../sim/audio';
import type { TtsStream } from '../../providers/types';

let sim: ElevenLabsSim;
let tts: ElevenLabsTextToSpeech;
beforeAll(async () => {
  sim = await startElevenLabsSim({ firstByteMs: 10 });
  tts = new ElevenLabsTextToSpeech({ apiKey: sim.apiKey, baseUrl: sim.env().ELEVENLABS_BASE_URL! });
});
afterAll(() => sim.close());

async function drain(stream: TtsStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of stream.audio) parts.push(b);
  return Buffer.concat(parts);
}

function transcribe(audio: Buffer): string[] {
  const d = new SpeechDecoder();
  const ev: SpeechEvent[] = [...d.feed(audio), ...d.feed(ulawSilence(700))];
  return ev.filter((e) => e.type === 'final').map((e) => (e as { text: string }).text);
}

describe('ElevenLabs TTS adapter against the simulator', () => {
  it('streams µ-law audio that decodes back to the text, counting characters', async () => {
    const stream = await tts.open({ voiceId: 'voice-1', model: 'eleven_turbo_v2_5' });
    const audioP = drain(stream);
    stream.sendText('Hello, this is Aina from the clinic.');
    stream.sendText('Can you come on Tuesday?');
    stream.end();
    const audio = await audioP;
    expect(audio.length).toBeGreaterThan(8000); // > 1 s of speech
    expect(transcribe(audio)).toEqual(['Hello, this is Aina from the clinic. Can you come on Tuesday?']);
    expect(stream.characters).toBe('Hello, this is Aina from the clinic.'.length + 'Can you come on Tuesday?'.length);
    const rec = sim.streams.at(-1)!;
    expect(rec).toMatchObject({
      voiceId: 'voice-1',
      modelId: 'eleven_turbo_v2_5',
      outputFormat: 'ulaw_8000',
      closedBy: 'client',
    });
    expect(rec.characters).toBe(stream.characters + 2); // the trailing spaces ElevenLabs expects are billed too
  });

  it('yields the first audio before the utterance has ended', async () => {
    const stream = await tts.open({ voiceId: 'v' });
    stream.sendText('First sentence.');
    const it = stream.audio[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect(first.value!.length).toBeGreaterThan(0);
    stream.end();
    for (let r = await it.next(); !r.done; r = await it.next()) void r;
  });

  it('a stream closed mid-utterance surfaces as TtsError from the audio iterator', async () => {
    sim.closeNextAfter(1);
    const stream = await tts.open({ voiceId: 'v' });
    const got: Buffer[] = [];
    const done = (async () => {
      for await (const b of stream.audio) got.push(b);
    })();
    stream.sendText('This is a long sentence that the simulator will cut off after the first chunk of audio.');
    stream.end();
    const err = await done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TtsError);
    expect((err as TtsError).code).toBe('closed');
    expect(got).toHaveLength(1);
  });

  it('a wrong key surfaces as an auth TtsError', async () => {
    const bad = new ElevenLabsTextToSpeech({ apiKey: 'nope', baseUrl: sim.env().ELEVENLABS_BASE_URL! });
    const stream = await bad.open({ voiceId: 'v' });
    stream.sendText('hi');
    const err = await drain(stream).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TtsError);
    expect((err as TtsError).code).toBe('auth');
  });

  it('abort (barge-in) ends the audio quietly and closes the stream', async () => {
    const ac = new AbortController();
    const stream = await tts.open({ voiceId: 'v', signal: ac.signal });
    stream.sendText('Some words that will be interrupted by the caller speaking over the agent.');
    const got: Buffer[] = [];
    for await (const b of stream.audio) {
      got.push(b);
      ac.abort();
    }
    expect(got.length).toBe(1);
  });
});
