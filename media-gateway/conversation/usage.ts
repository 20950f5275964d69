import type { CallUsage } from '../../workflows/call/contract';
import type { ChatMessage, SttSession } from '../../providers/types';

/**
 * What the call consumed, as the vendors bill it: STT audio sent (every session, including one
 * that failed), LLM tokens and the cost OpenRouter reported, TTS characters sent (ElevenLabs
 * bills characters sent, even for audio a barge-in discarded). Always cumulative.
 *
 * A model stream that ends without its usage chunk (barge-in abort, connection cut) was still
 * billed for what it generated: those rounds are estimated at ~4 characters per token, the ratio
 * the providers quote, rather than counted as free.
 */
export class UsageMeter {
  private sttDoneMs = 0;
  private stt: SttSession | undefined;
  promptTokens = 0;
  completionTokens = 0;
  costMicro: number | undefined;
  ttsCharacters = 0;

  useStt(session: SttSession) {
    this.retireStt();
    this.stt = session;
  }

  retireStt() {
    if (this.stt) this.sttDoneMs += this.stt.audioMs;
    this.stt = undefined;
  }

  addLlm(promptTokens: number, completionTokens: number, costMicro?: number) {
    this.promptTokens += promptTokens;
    this.completionTokens += completionTokens;
    if (costMicro !== undefined) this.costMicro = (this.costMicro ?? 0) + costMicro;
  }

  estimateLlm(messages: ChatMessage[], completionText: string) {
    const chars = messages.reduce((n, m) => n + m.content.length + (m.toolCalls?.reduce((k, t) => k + t.name.length + t.arguments.length, 0) ?? 0), 0);
    this.addLlm(Math.ceil(chars / 4) + 4 * messages.length, Math.ceil(completionText.length / 4));
  }

  snapshot(): CallUsage {
    return {
      sttAudioMs: Math.round(this.sttDoneMs + (this.stt?.audioMs ?? 0)),
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      ...(this.costMicro !== undefined ? { llmReportedCostMicro: this.costMicro } : {}),
      ttsCharacters: this.ttsCharacters,
    };
  }
}
