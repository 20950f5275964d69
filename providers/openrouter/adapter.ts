import type { ChatDelta, ChatMessage, ChatModel, ChatRequest } from '../types';
import { ConnectionError, HttpStatusError, ssePostJson } from './sse-post';

/**
 * ChatModel on OpenRouter's OpenAI-compatible streaming chat completions (POST
 * /chat/completions with `stream: true`, server-sent events; transport in ./sse-post.ts).
 *
 * - Usage accounting: OpenRouter sends token counts and `cost` (USD credits) in a last chunk with
 *   empty `choices`. Its docs now say this is always on and `usage: {include: true}` is
 *   deprecated; we still send the flag (harmless) for deployments that predate the change.
 *   Cost is reported in micro-units.
 * - Fallbacks: `models: [model, ...fallbackModels]` lets OpenRouter route around a failing model
 *   server-side; the model that answered comes back on each chunk and is reported with usage.
 * - Retry policy (client side): 429, 5xx, 408 and connection failures are retried up to
 *   `maxAttempts` times with exponential back-off — but only while nothing has been yielded yet.
 *   After the first delta a failure is thrown: replaying half a reply would make the agent say
 *   things twice. 402 (out of credit), 400/401/403 are never retried.
 * - `signal` aborts the HTTP stream (barge-in); the iterator then simply ends.
 */

export interface OpenRouterOptions {
  apiKey: string;
  baseURL: string;
  maxAttempts?: number;
  retryBaseMs?: number;
  /** Sent as HTTP-Referer / X-Title, which OpenRouter uses for app attribution. */
  appName?: string;
  timeoutMs?: number;
}

export class ChatModelError extends Error {
  override name = 'ChatModelError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** USD (float, as OpenRouter reports it) → integer micro-USD. Rounded once, half away from zero. */
export function usdToMicro(usd: number): number {
  return Math.round(usd * 1_000_000);
}

/** The wire shapes this adapter reads and writes (OpenAI's chat completions, as OpenRouter speaks them). */
type WireMessage =
  | { role: 'system' | 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[];
    }
  | { role: 'tool'; tool_call_id: string; content: string };
interface WireChunk {
  model?: string;
  choices?: {
    delta?: {
      content?: string | null;
      tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
    };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens: number; completion_tokens: number; cost?: number } | null;
  /** OpenRouter reports an error after the stream has started as a chunk carrying `error`. */
  error?: { message?: string; code?: number | string };
}

function toWire(m: ChatMessage): WireMessage {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
  if (m.role === 'assistant') {
    if (!m.toolCalls?.length) return { role: 'assistant', content: m.content };
    return {
      role: 'assistant',
      content: m.content || null,
      tool_calls: m.toolCalls.map((t) => ({
        id: t.id,
        type: 'function' as const,
        function: { name: t.name, arguments: t.arguments },
      })),
    };
  }
  return { role: m.role, content: m.content };
}

function isRetryable(err: unknown): boolean {
  if (err instanceof ConnectionError) return true; // includes timeouts
  if (err instanceof HttpStatusError) return err.status === 408 || err.status === 429 || err.status >= 500;
  return false;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export class OpenRouterChatModel implements ChatModel {
  private readonly url: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;

  constructor(opts: OpenRouterOptions) {
    this.url = `${opts.baseURL.replace(/\/+$/, '')}/chat/completions`;
    this.headers = {
      authorization: `Bearer ${opts.apiKey}`,
      ...(opts.appName ? { 'HTTP-Referer': 'https://aicall.local', 'X-Title': opts.appName } : {}),
    };
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.retryBaseMs = opts.retryBaseMs ?? 250;
  }

  async *stream(req: ChatRequest): AsyncIterable<ChatDelta> {
    const params = {
      model: req.model,
      ...(req.fallbackModels?.length ? { models: [req.model, ...req.fallbackModels] } : {}),
      messages: req.messages.map(toWire),
      ...(req.tools?.length
        ? {
            tools: req.tools.map((t) => ({
              type: 'function' as const,
              function: { name: t.name, description: t.description, parameters: t.parameters },
            })),
          }
        : {}),
      ...(req.responseFormat ? { response_format: req.responseFormat } : {}),
      stream: true,
      usage: { include: true },
    };

    let yielded = false;
    for (let attempt = 1; ; attempt++) {
      if (req.signal?.aborted) return;
      try {
        const calls = new Map<number, { id: string; name: string; arguments: string }>();
        const flushCalls = function* (): Generator<ChatDelta> {
          for (const [, c] of [...calls.entries()].sort((a, b) => a[0] - b[0])) yield { type: 'tool_call', ...c };
          calls.clear();
        };
        let model: string | undefined;
        for await (const raw of ssePostJson(this.url, params, {
          headers: this.headers,
          signal: req.signal,
          timeoutMs: this.timeoutMs,
        })) {
          const chunk = raw as WireChunk;
          if (chunk.error)
            throw new ChatModelError(
              `OpenRouter failed mid-stream: ${chunk.error.message ?? chunk.error.code ?? 'error'}`,
              undefined,
              false,
            );
          model = chunk.model || model;
          for (const choice of chunk.choices ?? []) {
            const d = choice.delta;
            if (d?.content) {
              yielded = true;
              yield { type: 'text', text: d.content };
            }
            for (const tc of d?.tool_calls ?? []) {
              yielded = true;
              const cur = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
              if (tc.id) cur.id = tc.id;
              if (tc.function?.name) cur.name += tc.function.name;
              if (tc.function?.arguments) cur.arguments += tc.function.arguments;
              calls.set(tc.index, cur);
            }
            if (choice.finish_reason) yield* flushCalls();
          }
          const usage = chunk.usage;
          if (usage) {
            yield* flushCalls();
            yield {
              type: 'usage',
              promptTokens: usage.prompt_tokens,
              completionTokens: usage.completion_tokens,
              ...(typeof usage.cost === 'number' ? { costMicro: usdToMicro(usage.cost) } : {}),
              ...(model ? { model } : {}),
            };
          }
        }
        yield* flushCalls();
        return;
      } catch (err) {
        if (req.signal?.aborted) return;
        if (err instanceof ChatModelError) throw err;
        const status = err instanceof HttpStatusError ? err.status : undefined;
        const retryable = isRetryable(err);
        if (yielded || !retryable || attempt >= this.maxAttempts) {
          const reason = yielded ? 'failed mid-stream' : attempt > 1 ? `failed after ${attempt} attempts` : 'failed';
          throw new ChatModelError(`OpenRouter ${reason}: ${(err as Error).message}`, status, retryable && !yielded);
        }
        await sleep(this.retryBaseMs * 2 ** (attempt - 1), req.signal);
      }
    }
  }
}
