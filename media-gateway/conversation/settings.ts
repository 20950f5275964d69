import type { Logger } from 'pino';
import type { SpeechToText, ChatModel, TextToSpeech } from '../../providers/types';
import type { FrameSink } from '../stream/outbound';
import type { CallWorkflowPort } from '../signals/port';

/** What a call's conversation is configured with and runs against (design: Media gateway loop). */

export interface GatewaySettings {
  segmentationSilenceMs: number;
  /** Caller voice (ms) the STT service may leave wholly unanswered before its session is replaced (conversation/stt-link.ts). */
  sttStallVoiceMs: number;
  firstTokenTimeoutMs: number;
  defaultSilenceTimeoutSec: number;
  dtmfDebounceMs: number;
  maxModelRounds: number;
  /** Voice within this window makes a partial transcript count as speech for barge-in. */
  bargeInVoiceWindowMs: number;
  /** Keep one TTS connection open ahead of the next reply (conversation/tts-warm.ts). */
  ttsPrewarm: boolean;
  /** leave_message calls only: how often the AMD verdict is asked of the workflow (conversation/amd.ts)… */
  amdPollMs: number;
  /** …and for how long at most (Twilio's own AMD gives up at 30 s, MachineDetectionTimeout). */
  amdPollCapMs: number;
  /** A keypad entry of exactly this key asks not to be called again (controllers/opt-out.ts); unset: no key. */
  optOutDigit?: string;
}

export const DEFAULT_SETTINGS: GatewaySettings = {
  segmentationSilenceMs: 300,
  sttStallVoiceMs: 2_000,
  firstTokenTimeoutMs: 5_000,
  defaultSilenceTimeoutSec: 10,
  dtmfDebounceMs: 1_200,
  maxModelRounds: 3,
  bargeInVoiceWindowMs: 400,
  ttsPrewarm: true,
  amdPollMs: 750,
  amdPollCapMs: 40_000,
};

/** Ends the call on Twilio's side when the agent transfers it (providers/twilio). */
export interface CallTransfer {
  transfer(callSid: string, to: string): Promise<void>;
}

export interface SessionDeps {
  stt: SpeechToText;
  llm: ChatModel;
  tts: TextToSpeech;
  port: CallWorkflowPort;
  transfer?: CallTransfer;
  log: Logger;
  settings: GatewaySettings;
}

export interface SessionIo extends FrameSink {
  close(code: number, reason: string): void;
}
