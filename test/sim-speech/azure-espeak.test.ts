import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzureSpeechSim, type AzureSpeechSim } from '../../sim/azure-speech/server';
import { AzureSpeechToText } from '../../providers/azure-stt/adapter';
import { ulawSilence } from '../../sim/audio';
import { espeakWord } from '../../sim/audio/espeak';
import { encodeVoice } from '../../sim/audio/voice';
import type { SttSession } from '../../providers/types';

/** The Azure simulator in espeak mode, through the real Speech SDK: it hears registered speech only. */

let sim: AzureSpeechSim;
beforeAll(async () => {
  sim = await startAzureSpeechSim({ finalLatencyMs: 20, speech: 'espeak' });
});
afterAll(() => sim.close());

async function speak(session: SttSession, audio: Buffer) {
  for (let i = 0; i < audio.length; i += 160) {
    session.write(audio.subarray(i, i + 160));
    if ((i / 160) % 25 === 24) await new Promise((r) => setTimeout(r, 1));
  }
}

async function until(cond: () => boolean, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Azure simulator, espeak-ng speech', () => {
  it('partials during speech, a final per utterance after the segmentation silence; unregistered speech is nothing', async () => {
    const stt = new AzureSpeechToText({ key: sim.key, endpoint: sim.endpoint });
    const session = await stt.start({ language: 'en-US', segmentationSilenceMs: 300 });
    const partials: string[] = [];
    const finals: string[] = [];
    session.on('partial', (t) => partials.push(t));
    session.on('final', (t) => finals.push(t));
    const a = await encodeVoice('Yes, I am interested.');
    // Spoken, but by no simulator: nothing registered it, so it is noise to the recogniser.
    const stranger = Buffer.concat([
      await espeakWord('Pineapple', 'en-us'),
      ulawSilence(100),
      await espeakWord('submarine', 'en-us'),
    ]);
    const b = await encodeVoice('Call me tomorrow.');
    await speak(
      session,
      Buffer.concat([ulawSilence(300), a.audio, ulawSilence(600), stranger, ulawSilence(600), b.audio, ulawSilence(600)]),
    );
    await until(() => finals.length === 2, 'two finals');
    expect(finals).toEqual(['Yes, I am interested.', 'Call me tomorrow.']);
    expect(partials).toEqual(expect.arrayContaining(['Yes,', 'Yes, I am', 'Call me']));
    expect(partials.some((p) => /pineapple|submarine/i.test(p))).toBe(false);
    expect(sim.sessions.at(-1)!.phrases).toEqual(['Yes, I am interested.', 'Call me tomorrow.']);
    await session.close();
  });
});
