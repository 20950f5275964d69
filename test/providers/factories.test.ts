import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import {
  createChatModel,
  createSpeechToText,
  createTextToSpeech,
  AzureSpeechToText,
  OpenRouterChatModel,
  ElevenLabsTextToSpeech,
} from '../../providers';
import { startAzureSpeechSim, type AzureSpeechSim } from '../../sim/azure-speech/server';
import { startOpenRouterSim, type OpenRouterSim } from '../../sim/openrouter/server';
import { startElevenLabsSim, type ElevenLabsSim } from '../../sim/elevenlabs/server';
import { encodeSpeech, ulawSilence, SpeechDecoder } from '../../sim/audio';

let azure: AzureSpeechSim;
let openrouter: OpenRouterSim;
let eleven: ElevenLabsSim;
beforeAll(async () => {
  [azure, openrouter, eleven] = await Promise.all([startAzureSpeechSim(), startOpenRouterSim(), startElevenLabsSim()]);
});
afterAll(() => Promise.all([azure.close(), openrouter.close(), eleven.close()]));

describe('provider factories', () => {
  it('in sim mode build adapters that talk to the simulators with their keys', async () => {
    const config = loadConfig({ ...azure.env(), ...openrouter.env(), ...eleven.env() });
    expect(config.vendors).toMatchObject({ azure: 'sim', openrouter: 'sim', elevenlabs: 'sim' });

    const stt = await createSpeechToText(config).start({ language: 'en-GB' });
    const finals: string[] = [];
    stt.on('final', (t) => finals.push(t));
    stt.write(Buffer.concat([encodeSpeech('all three work'), ulawSilence(700)]));
    for (let i = 0; i < 300 && finals.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(finals).toEqual(['all three work']);
    await stt.close();

    let text = '';
    for await (const d of createChatModel(config).stream({ model: 'm', messages: [{ role: 'user', content: 'ping' }] }))
      if (d.type === 'text') text += d.text;
    expect(text).toBe('You said: ping');

    const tts = await createTextToSpeech(config).open({ voiceId: 'v' });
    tts.sendText('pong');
    tts.end();
    const parts: Buffer[] = [];
    for await (const b of tts.audio) parts.push(b);
    const dec = new SpeechDecoder();
    const ev = [...dec.feed(Buffer.concat(parts)), ...dec.flush()];
    expect(ev.at(-1)).toMatchObject({ type: 'final', text: 'pong' });
  });

  it('in sim mode refuse to send simulator keys to the real vendors', () => {
    const config = loadConfig({});
    expect(() => createSpeechToText(config)).toThrow(/AZURE_SPEECH_ENDPOINT is unset/);
    expect(() => createChatModel(config)).toThrow(/OPENROUTER_BASE_URL is the real service/);
    expect(() => createTextToSpeech(config)).toThrow(/ELEVENLABS_BASE_URL is the real service/);
  });

  it('in live mode build the vendor adapters from the credentials', () => {
    const config = loadConfig({
      AZURE_SPEECH_KEY: 'k',
      AZURE_SPEECH_REGION: 'southeastasia',
      OPENROUTER_API_KEY: 'sk-or-x',
      ELEVENLABS_API_KEY: 'el',
    });
    expect(config.vendors).toMatchObject({ azure: 'live', openrouter: 'live', elevenlabs: 'live' });
    expect(createSpeechToText(config)).toBeInstanceOf(AzureSpeechToText);
    expect(createChatModel(config)).toBeInstanceOf(OpenRouterChatModel);
    expect(createTextToSpeech(config)).toBeInstanceOf(ElevenLabsTextToSpeech);
  });
});
