import type { Logger } from 'pino';
import type { ChatMessage, ChatModel, ToolSpec } from '../../providers/types';
import type { AgentConfig, MediaEndReason, TurnLatency } from '../../workflows/call/contract';
import { recordProviderError } from '../../lib/metrics';
import { ClauseCutter } from './clauses';
import type { Speaker } from './speaker';
import { decideTool, type ToolDecision } from './tools';
import type { UsageMeter } from './usage';

/**
 * One agent reply from the model: streams the completion, cuts it into clauses for the speaker
 * as it arrives, runs tool calls (and another round when a tool's result needs an answer), and
 * keeps the model's view of the conversation (`messages`) consistent with what happened.
 *
 * Failure policy: a model that errors or stays silent past `firstTokenTimeoutMs` before its first
 * token is retried once on each of the agent's fallback models (OpenRouter has already retried
 * and routed inside the adapter); after that, or once text has streamed, the reply fails with
 * `failure` set and the session apologises and ends the call.
 */

export interface Stamps {
  endOfSpeech?: number;
  sttFinal?: number;
  llmFirstToken?: number;
  firstClause?: number;
  ttsFirstByte?: number;
  firstClauseSent?: number;
  firstFrame?: number;
}

/**
 * What follows once a reply has played: the model's end_call, transfer or opt_out, or (fixed
 * utterances: the voicemail message, the silence goodbye, the apology) the end of the stream.
 */
export type EndAfter =
  | { kind: 'end_call' }
  | { kind: 'transfer'; to: string }
  | { kind: 'opt_out' }
  | { kind: 'end'; reason: MediaEndReason; detail?: string };

export interface ReplyDeps {
  llm: ChatModel;
  agent: AgentConfig;
  tools: ToolSpec[];
  messages: ChatMessage[];
  usage: UsageMeter;
  log: Logger;
  goodbyePhrase: string;
  optOutPhrase: string;
  firstTokenTimeoutMs: number;
  maxRounds: number;
  /**
   * Every tool decision, as it is taken (conversation/machine.ts signals outcomes and acts on an
   * opt-out at once, before the reply's words play); the reply itself handles what it says and
   * what follows it (`endAfter`).
   */
  onTool: (decision: ToolDecision) => void;
  /** Observation only (the machine's event stream): the first token. */
  onFirstToken?: () => void;
}

export class Reply {
  readonly stamps: Stamps = {};
  endAfter: EndAfter | undefined;
  /** Transcript seq of this reply's agent turn, taken when its first frame is sent. */
  agentSeq: number | undefined;
  failure: { vendor: string; message: string } | undefined;
  /** Clause index where the last completed round's text starts (for truncating its history message). */
  private lastRound: { messageIndex: number; fromClause: number } | undefined;

  constructor(
    readonly speaker: Speaker,
    readonly abort: AbortController,
    readonly kind: 'llm' | 'fixed',
  ) {}

  /** Fixed text (greeting, re-prompt, apology): no model involved. */
  sayFixed(text: string) {
    const cutter = new ClauseCutter();
    for (const c of [...cutter.push(text), ...cutter.flush()]) this.addClause(c);
    this.speaker.end();
  }

  addClause(text: string) {
    if (this.stamps.firstClause === undefined) {
      this.stamps.firstClause = performance.now();
      this.stamps.firstClauseSent = this.stamps.firstClause;
    }
    this.speaker.add(text);
  }

  latency(): TurnLatency | undefined {
    const s = this.stamps;
    if (s.endOfSpeech === undefined) return undefined;
    const rel = (t: number | undefined) => (t === undefined ? undefined : Math.max(0, Math.round(t - s.endOfSpeech!)));
    const l: TurnLatency = {
      sttFinalMs: rel(s.sttFinal),
      llmFirstTokenMs: rel(s.llmFirstToken),
      firstClauseMs: rel(s.firstClause),
      ttsFirstByteMs: rel(s.ttsFirstByte),
      firstFrameMs: rel(s.firstFrame),
    };
    for (const k of Object.keys(l) as (keyof TurnLatency)[]) if (l[k] === undefined) delete l[k];
    return l;
  }

  /** After an interruption: the history keeps only what the caller heard of the last round. */
  truncateHistory(messages: ChatMessage[]) {
    const spoken = this.speaker.spokenText(this.lastRound?.fromClause ?? 0);
    if (this.lastRound) {
      const m = messages[this.lastRound.messageIndex];
      if (m && m.role === 'assistant') m.content = spoken;
    } else if (spoken) {
      messages.push({ role: 'assistant', content: spoken });
    }
  }

  async runModel(deps: ReplyDeps): Promise<void> {
    const { llm, agent, messages, usage, log } = deps;
    const signal = this.abort.signal;
    const fallbacks = [...(agent.fallbackModels ?? [])];
    let model = agent.llmModel;
    for (let round = 0; round < deps.maxRounds;) {
      const cutter = new ClauseCutter(round === 0 ? {} : { firstMinChars: 40 });
      const fromClause = this.speaker.clauseCount;
      const roundAbort = new AbortController();
      const onAbort = () => roundAbort.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      let text = '';
      const calls: { id: string; name: string; arguments: string }[] = [];
      let gotUsage = false;
      let yielded = false;
      let stalled = false;
      let error: unknown;
      const stall = setTimeout(() => {
        stalled = true;
        roundAbort.abort();
      }, deps.firstTokenTimeoutMs);
      try {
        for await (const d of llm.stream({
          model,
          fallbackModels: fallbacks,
          messages: [...messages],
          tools: deps.tools,
          signal: roundAbort.signal,
        })) {
          if (!yielded) {
            yielded = true;
            clearTimeout(stall);
            if (round === 0) this.stamps.llmFirstToken ??= performance.now();
            deps.onFirstToken?.();
          }
          if (d.type === 'text') {
            text += d.text;
            for (const c of cutter.push(d.text)) this.addClause(c);
          } else if (d.type === 'tool_call') calls.push({ id: d.id, name: d.name, arguments: d.arguments });
          else {
            gotUsage = true;
            usage.addLlm(d.promptTokens, d.completionTokens, d.costMicro);
          }
        }
      } catch (err) {
        error = err;
      } finally {
        clearTimeout(stall);
        signal.removeEventListener('abort', onAbort);
      }
      // No usage chunk (aborted by a barge-in or the end of the call, or cut): what was streamed is billed all the same.
      if (!gotUsage && (yielded || signal.aborted))
        usage.estimateLlm(messages, text + calls.map((c) => c.name + c.arguments).join(''));
      if (signal.aborted) return;
      if (stalled || error) {
        const status = (error as { status?: number } | undefined)?.status;
        recordProviderError('openrouter', stalled ? 'first_token_timeout' : status);
        if (!yielded && fallbacks.length > 0) {
          log.warn(
            { model, stalled, err: (error as Error | undefined)?.message },
            'model failed before its first token; trying the next fallback model',
          );
          model = fallbacks.shift()!;
          continue;
        }
        // Whole clauses already cut were spoken; the half sentence after them is dropped.
        this.failure = {
          vendor: 'openrouter',
          message: stalled ? `no first token within ${deps.firstTokenTimeoutMs} ms` : (error as Error).message,
        };
        if (this.speaker.clauseCount > fromClause) {
          messages.push({ role: 'assistant', content: this.speaker.fullText(fromClause) });
          this.lastRound = { messageIndex: messages.length - 1, fromClause };
        }
        this.speaker.end();
        return;
      }
      for (const c of cutter.flush()) this.addClause(c);
      messages.push({ role: 'assistant', content: text, ...(calls.length ? { toolCalls: calls } : {}) });
      this.lastRound = { messageIndex: messages.length - 1, fromClause };
      let answerNeeded = false;
      for (const call of calls) {
        const d = decideTool(agent, call.name, call.arguments);
        messages.push({ role: 'tool', toolCallId: call.id, content: d.result });
        deps.onTool(d);
        if (d.kind === 'outcome') {
          answerNeeded = true;
        } else if (d.kind === 'end_call') {
          this.endAfter ??= { kind: 'end_call' };
          if (d.goodbye) this.addClause(d.goodbye);
          else if (!text.trim()) this.addClause(deps.goodbyePhrase);
        } else if (d.kind === 'transfer') {
          this.endAfter ??= { kind: 'transfer', to: d.to };
        } else if (d.kind === 'opt_out') {
          // Overrides an end_call or transfer in the same round: the caller's wish decides how the call ends.
          this.endAfter = { kind: 'opt_out' };
          if (d.confirmation) this.addClause(d.confirmation);
          else if (!text.trim()) this.addClause(deps.optOutPhrase);
        } else {
          log.info({ tool: call.name.slice(0, 40), result: d.result }, 'tool call refused');
          answerNeeded = true;
        }
      }
      // A reply that already spoke does not need another round for a recorded outcome.
      if (
        this.endAfter ||
        !answerNeeded ||
        (text.trim() &&
          calls.every((c) => c.name === 'record_outcome') &&
          !calls.some((c) => decideTool(agent, c.name, c.arguments).kind === 'refused'))
      )
        break;
      round++;
    }
    this.speaker.end();
  }
}
