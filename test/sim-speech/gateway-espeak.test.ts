import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplyScript } from '../../sim/openrouter/server';
import { LocalRecordingStore } from '../../lib/recordings/local-store';
import { readUlawStereoWav } from '../../lib/recordings/wav';
import { RecordingService } from '../../media-gateway/recording/service';
import { encodeVoice } from '../../sim/audio/voice';
import { testLogger } from '../helpers/env';
import { lines, startGatewayHarness, type GatewayHarness } from '../gateway/harness';
import { confirmedAgentAudio, speechOnly } from '../recordings/helpers';

/**
 * A whole call in audible speech (SIM_SPEECH=espeak): the ElevenLabs simulator and the callee speak
 * espeak-ng audio, the Azure simulator recognises the callee from the bytes the gateway forwards, the
 * callee recognises the agent from what it plays — and the gateway's recording is that speech.
 */

const LONG = 'Our new plan gives you unlimited calls and free data on weekends, and a new phone every year.';
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last === 'Hello?') return { text: LONG };
  if (last === 'Saya tidak berminat, terima kasih.')
    return { text: 'Baik, terima kasih.', toolCalls: [{ name: 'end_call', arguments: {} }] };
  if (last === 'Bye.') return { text: 'Bye.', toolCalls: [{ name: 'end_call', arguments: {} }] };
  return { text: 'Sorry, go ahead.' };
};

let dir: string;
let h: GatewayHarness;
let recordings: RecordingService;
let store: LocalRecordingStore;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aicall-espeak-'));
  store = new LocalRecordingStore(join(dir, 'store'));
  recordings = new RecordingService({ store, spoolDir: join(dir, 'spool'), log: testLogger() });
  h = await startGatewayHarness({ script, recordings, speech: 'espeak' });
});
afterAll(async () => {
  await h?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('simulated calls in espeak-ng speech', () => {
  it('a conversation with a barge-in: transcripts from the audio on both sides, the recording is the speech', async () => {
    const call = h.call([{ say: 'Hello?' }, { interrupt: 'Wait, stop.', afterAgentMs: 2_000 }, { say: 'Bye.' }]);
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    const t = h.workflows.transcript(call.callId);
    const cut = t.find((x) => x.interrupted)!;
    expect(LONG.startsWith(cut.text)).toBe(true);
    expect(lines(t).filter((l) => !l.includes('interrupted'))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Hello?',
      'caller: Wait, stop.',
      'agent: Sorry, go ahead.',
      'caller: Bye.',
      'agent: Bye.',
    ]);
    // The callee recognised the agent from the audio it played: whole words only of the cut reply.
    const heard = call.media.agent.map((u) => u.text);
    expect(heard[0]).toBe('Hello, this is Aina from Acme.');
    expect(LONG.startsWith(heard[1]!)).toBe(true);
    expect(heard[1]!.split(' ').length).toBeGreaterThanOrEqual(2);
    expect(heard.slice(2)).toEqual(['Sorry, go ahead.', 'Bye.']);

    // The recording holds the espeak speech: the greeting's audio, byte for byte, on the right.
    const result = await recordings.result(call.callId)!;
    if (result.status !== 'stored') throw new Error(result.status);
    const wav = readUlawStereoWav(await readFile(store.pathOf(result.key)));
    const greeting = await encodeVoice('Hello, this is Aina from Acme.');
    expect(speechOnly(wav.right).subarray(0, speechOnly(greeting.audio).length).equals(speechOnly(greeting.audio))).toBe(true);
    const { kept } = confirmedAgentAudio(call.media, Buffer.concat(call.stream.agentReceived));
    expect(speechOnly(wav.right).equals(speechOnly(kept))).toBe(true);
    const hello = await encodeVoice('Hello?');
    expect(
      wav.left.indexOf(
        hello.words[0]!.text.length ? hello.audio.subarray(hello.words[0]!.start, hello.words[0]!.end) : hello.audio,
      ),
    ).toBeGreaterThan(0);
  });

  it('Malay speech, both ways', async () => {
    const call = h.call([{ say: 'Saya tidak berminat, terima kasih.' }]); // not an opt-out phrase: those the gateway answers itself
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    expect(lines(h.workflows.transcript(call.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Saya tidak berminat, terima kasih.',
      'agent: Baik, terima kasih.',
    ]);
    expect(call.media.agent.map((u) => u.text)).toEqual(['Hello, this is Aina from Acme.', 'Baik, terima kasih.']);
  });
});
