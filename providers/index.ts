import type { Config } from '../lib/config';
import { AzureSpeechToText } from './azure-stt/adapter';
import { ElevenLabsTextToSpeech } from './elevenlabs/adapter';
import { OpenRouterChatModel } from './openrouter/adapter';
import { SIM_CREDENTIALS } from './sim-credentials';
import type { ChatModel, SpeechToText, TextToSpeech } from './types';

/**
 * Factories for the real-time vendors, from Config. Live: the configured credentials and the
 * vendor's endpoint. Sim: the simulators' fixed keys, and the endpoint variable must point away
 * from the vendor (sim/server.ts writes it) — otherwise the simulator's key would go to the real
 * service, which is always a configuration mistake.
 */

type SttConfig = Pick<Config, 'vendors' | 'AZURE_SPEECH_KEY' | 'AZURE_SPEECH_REGION' | 'AZURE_SPEECH_ENDPOINT'>;
type LlmConfig = Pick<Config, 'vendors' | 'OPENROUTER_API_KEY' | 'OPENROUTER_BASE_URL'>;
type TtsConfig = Pick<Config, 'vendors' | 'ELEVENLABS_API_KEY' | 'ELEVENLABS_BASE_URL'>;

const REAL_OPENROUTER = /^https:\/\/openrouter\.ai(\/|$)/;
const REAL_ELEVENLABS = /^https:\/\/api\.elevenlabs\.io(\/|$)/;

export function createSpeechToText(
  config: SttConfig,
  opts: { defaultSegmentationSilenceMs?: number; maxHoldMs?: number } = {},
): SpeechToText {
  if (config.vendors.azure === 'live') {
    return new AzureSpeechToText({
      key: config.AZURE_SPEECH_KEY!,
      region: config.AZURE_SPEECH_REGION!,
      endpoint: config.AZURE_SPEECH_ENDPOINT,
      ...opts,
    });
  }
  if (!config.AZURE_SPEECH_ENDPOINT) {
    throw new Error(
      'Azure Speech runs against its simulator (no AZURE_SPEECH_* credentials) but AZURE_SPEECH_ENDPOINT is unset: start sim/azure-speech or configure Azure',
    );
  }
  return new AzureSpeechToText({ key: SIM_CREDENTIALS.azureSpeechKey, endpoint: config.AZURE_SPEECH_ENDPOINT, ...opts });
}

export function createChatModel(config: LlmConfig, opts: { maxAttempts?: number; retryBaseMs?: number } = {}): ChatModel {
  if (config.vendors.openrouter === 'live') {
    return new OpenRouterChatModel({
      apiKey: config.OPENROUTER_API_KEY!,
      baseURL: config.OPENROUTER_BASE_URL,
      appName: 'aicall',
      ...opts,
    });
  }
  if (REAL_OPENROUTER.test(config.OPENROUTER_BASE_URL)) {
    throw new Error(
      'OpenRouter runs against its simulator (no OPENROUTER_API_KEY) but OPENROUTER_BASE_URL is the real service: start sim/openrouter or configure OpenRouter',
    );
  }
  return new OpenRouterChatModel({ apiKey: SIM_CREDENTIALS.openrouterApiKey, baseURL: config.OPENROUTER_BASE_URL, ...opts });
}

export function createTextToSpeech(config: TtsConfig): TextToSpeech {
  if (config.vendors.elevenlabs === 'live') {
    return new ElevenLabsTextToSpeech({ apiKey: config.ELEVENLABS_API_KEY!, baseUrl: config.ELEVENLABS_BASE_URL });
  }
  if (REAL_ELEVENLABS.test(config.ELEVENLABS_BASE_URL)) {
    throw new Error(
      'ElevenLabs runs against its simulator (no ELEVENLABS_API_KEY) but ELEVENLABS_BASE_URL is the real service: start sim/elevenlabs or configure ElevenLabs',
    );
  }
  return new ElevenLabsTextToSpeech({ apiKey: SIM_CREDENTIALS.elevenlabsApiKey, baseUrl: config.ELEVENLABS_BASE_URL });
}

export { AzureSpeechToText, SttError } from './azure-stt/adapter';
export { OpenRouterChatModel, ChatModelError } from './openrouter/adapter';
export { ElevenLabsTextToSpeech, TtsError } from './elevenlabs/adapter';
