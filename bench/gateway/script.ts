/**
 * The benchmark's conversation, shared by the driver (what the caller says), the OpenRouter
 * simulator's script (what the model answers) and the relay peer (which replays the same answers
 * without any vendor in the way).
 */
export const LATENCY = { sttFinalMs: 300, llmFirstTokenMs: 400, ttsFirstByteMs: 150 } as const;
/** The STT final's 300 ms: the gateway's segmentation silence plus the simulator's processing. */
export const SEGMENTATION_SILENCE_MS = 250;
export const STT_PROCESSING_MS = LATENCY.sttFinalMs - SEGMENTATION_SILENCE_MS;
export const CONFIGURED_MS = LATENCY.sttFinalMs + LATENCY.llmFirstTokenMs + LATENCY.ttsFirstByteMs;

export const GREETING = 'Hello, this is Aina.';
export const CALLER_LINES = ['Yes?', 'Tell me more.', 'Bye.'];
export const REPLIES = ['It is a new plan. Ten ringgit.', 'Free calls, all month.', 'Thanks, bye.'];

export function replyFor(userText: string): { text: string; end: boolean } {
  const i = CALLER_LINES.indexOf(userText);
  return i < 0 ? { text: 'Pardon?', end: false } : { text: REPLIES[i]!, end: i === CALLER_LINES.length - 1 };
}
