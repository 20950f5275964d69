import type { CallUsage } from '../../workflows/call/contract';
import type { ChatMessage, SttSession } from '../../providers/types';

/**
 * What the call consumed, as the vendors bill it: STT audio sent (every session, including one
 * that failed), LLM tokens and the cost OpenRouter reported, TTS characters sent (ElevenLabs
 * bills characters sent, even for audio a barge-in discarded). Always cumulative.
 *
 * A model stream that ends without its usage chunk (barge-in abort, connection cut, the caller
 * hanging up) was still billed for what it generated: those rounds are estimated at ~4 characters
 * per token, the ratio the providers quote, from the prompt sent and what was streamed back (text
 * and tool calls), rather than counted as free. Pricing prefers the vendor's reported cost over
 * the token rate (lib/pricing), so an estimated round is also priced into `llmReportedCostMicro`
 * at the rate the vendor reported for this call's other rounds (its cost per token so far); a
 * round estimated before any rate is known is priced when the first reported round comes. When no
 * round of the call reported a cost, there is no reported cost at all and every token, estimated
 * or not, is priced at the price list's rate.
 */
export class UsageMeter {
  private sttDoneMs = 0;
  private stt: SttSession | undefined;
  promptTokens = 0;
  completionTokens = 0;
  /** Cost the vendor reported for its rounds, micro-units. */
  costMicro: number | undefined;
  ttsCharacters = 0;
  /** Tokens of the rounds whose cost was reported: the call's rate is costMicro / reportedTokens. */
  private reportedTokens = 0;
  /** Estimated tokens not yet priced (no rate known yet), and the estimated rounds' cost so far. */
  private unpricedTokens = 0;
  private estimatedCostMicro = 0;

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
    if (costMicro !== undefined) {
      this.costMicro = (this.costMicro ?? 0) + costMicro;
      this.reportedTokens += promptTokens + completionTokens;
      this.priceEstimates();
    }
  }

  /** A round that ended without usage: `completion` is what was streamed (text, and tool names and arguments). */
  estimateLlm(messages: ChatMessage[], completion: string) {
    const chars = messages.reduce(
      (n, m) => n + m.content.length + (m.toolCalls?.reduce((k, t) => k + t.name.length + t.arguments.length, 0) ?? 0),
      0,
    );
    const prompt = Math.ceil(chars / 4) + 4 * messages.length;
    const done = Math.ceil(completion.length / 4);
    this.addLlm(prompt, done);
    this.unpricedTokens += prompt + done;
    this.priceEstimates();
  }

  /** Tokens estimated so far (tests, logs). */
  get estimatedTokens(): number {
    return this.unpricedTokens + this.pricedEstimates;
  }
  private pricedEstimates = 0;

  private priceEstimates() {
    if (this.costMicro === undefined || this.reportedTokens === 0 || this.unpricedTokens === 0) return;
    this.estimatedCostMicro += Math.ceil((this.unpricedTokens * this.costMicro) / this.reportedTokens);
    this.pricedEstimates += this.unpricedTokens;
    this.unpricedTokens = 0;
  }

  snapshot(): CallUsage {
    return {
      sttAudioMs: Math.round(this.sttDoneMs + (this.stt?.audioMs ?? 0)),
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
      ...(this.costMicro !== undefined ? { llmReportedCostMicro: this.costMicro + this.estimatedCostMicro } : {}),
      ttsCharacters: this.ttsCharacters,
    };
  }
}
