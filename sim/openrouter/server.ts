import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIM_CREDENTIALS } from '../../providers/sim-credentials';

/**
 * OpenRouter simulator: `POST /api/v1/chat/completions`, OpenAI-compatible, streaming (SSE) and
 * not. Deterministic: replies come from a script (a function of the conversation), tokens are
 * ~4 characters, cost = tokens × the model's price. Honours `models` (fallback list: a model
 * marked down is skipped like OpenRouter's routing does), usage and `cost` in a final chunk with
 * empty `choices` (always, as OpenRouter documents it now), bearer auth.
 */

export interface SimMessage {
  role: string;
  content?: string | null;
  tool_calls?: unknown[];
  tool_call_id?: string;
}

export interface SimReply {
  text?: string;
  toolCalls?: { name: string; arguments: Record<string, unknown> | string }[];
}

/** `request` is the whole body, for scripts that answer to e.g. `response_format`. */
export type ReplyScript = (messages: SimMessage[], model: string, request?: Record<string, unknown>) => SimReply;

export type OpenRouterFault =
  /** HTTP error before any byte of the stream (429 rate limit, 402 out of credit, 5xx). */
  | { kind: 'status'; status: number }
  /** Destroy the connection after this many content chunks. */
  | { kind: 'cut'; afterChunks: number }
  /**
   * After this many content chunks, an error event as OpenRouter sends one once streaming has
   * begun (HTTP is already 200): a chunk with a top-level `error` and finish_reason "error".
   */
  | { kind: 'midStreamError'; afterChunks: number; code?: number; message?: string }
  /** Extra delay before the first token. */
  | { kind: 'slow'; firstTokenMs: number };

export interface OpenRouterSimOptions {
  port?: number;
  apiKey?: string;
  script?: ReplyScript;
  firstTokenMs?: number;
  tokensPerSec?: number;
  /** USD per token, per model; default $0.52 per million tokens. */
  pricePerToken?: Record<string, number>;
}

export interface OpenRouterSim {
  url: string;
  /** Base URL for the adapter (`OPENROUTER_BASE_URL`). */
  baseUrl: string;
  apiKey: string;
  env(): Record<string, string>;
  /** Apply `fault` to the next `times` requests (in order, after any already queued). */
  failNext(fault: OpenRouterFault, times?: number): void;
  /** Requests naming this model fail with `status` until set back to undefined (fallback tests). */
  setModelDown(model: string, status: number | undefined): void;
  /** Every request body received, in order. */
  requests: Record<string, unknown>[];
  close(): Promise<void>;
}

export const DEFAULT_PRICE_PER_TOKEN = 0.52 / 1_000_000;

/** Deterministic token count: ~4 characters per token, at least 1 for non-empty text. */
export function simTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

const defaultScript: ReplyScript = (messages) => {
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  return { text: lastUser?.content ? `You said: ${lastUser.content}` : 'Hello, how can I help you today?' };
};

/** Text pieces of about one token each, split so that they concatenate back to the text. */
function pieces(text: string): string[] {
  return text.match(/.{1,4}/gsu) ?? [];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startOpenRouterSim(opts: OpenRouterSimOptions = {}): Promise<OpenRouterSim> {
  const apiKey = opts.apiKey ?? SIM_CREDENTIALS.openrouterApiKey;
  const script = opts.script ?? defaultScript;
  const faults: OpenRouterFault[] = [];
  const down = new Map<string, number>();
  const requests: Record<string, unknown>[] = [];
  let seq = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const sendError = (status: number, message: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: status, message } }));
    };
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/api/v1/chat/completions') return sendError(404, 'Not found');
    if (req.headers.authorization !== `Bearer ${apiKey}`) return sendError(401, 'No auth credentials found');
    let raw = '';
    for await (const chunk of req) raw += chunk;
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return sendError(400, 'Invalid JSON body');
    }
    requests.push(body);
    const messages = body.messages as SimMessage[] | undefined;
    if (!Array.isArray(messages) || messages.length === 0) return sendError(400, 'messages is required');
    const fault = faults.shift();
    if (fault?.kind === 'status')
      return sendError(fault.status, fault.status === 402 ? 'Insufficient credits' : `Simulated ${fault.status}`);

    const candidates = [body.model, ...((body.models as string[] | undefined) ?? [])].filter(
      (m, i, all): m is string => typeof m === 'string' && all.indexOf(m) === i,
    );
    if (candidates.length === 0) return sendError(400, 'model is required');
    const model = candidates.find((m) => !down.has(m));
    if (!model) return sendError(down.get(candidates[0]!)!, 'All models unavailable');

    const reply = script(messages, model, body);
    const text = reply.text ?? '';
    const toolCalls = (reply.toolCalls ?? []).map((t, i) => ({
      id: `call_${seq}_${i}`,
      name: t.name,
      arguments: typeof t.arguments === 'string' ? t.arguments : JSON.stringify(t.arguments),
    }));
    const promptTokens = messages.reduce((n, m) => n + 4 + simTokens(m.content ?? ''), 0);
    const completionTokens = simTokens(text) + toolCalls.reduce((n, t) => n + simTokens(t.name + t.arguments), 0);
    const price = opts.pricePerToken?.[model] ?? DEFAULT_PRICE_PER_TOKEN;
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      cost: (promptTokens + completionTokens) * price,
    };
    const id = `gen-sim-${++seq}`;
    const created = Math.floor(Date.now() / 1000);
    const finishReason = toolCalls.length ? 'tool_calls' : 'stop';
    // OpenRouter's docs now always include usage (the `usage: {include: true}` flag is deprecated
    // and has no effect); the simulator does the same, so the adapter must not depend on the flag.
    const wantUsage = true;

    if (body.stream !== true) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              finish_reason: finishReason,
              message: {
                role: 'assistant',
                content: text || null,
                ...(toolCalls.length
                  ? {
                      tool_calls: toolCalls.map((t) => ({
                        id: t.id,
                        type: 'function',
                        function: { name: t.name, arguments: t.arguments },
                      })),
                    }
                  : {}),
              },
            },
          ],
          ...(wantUsage ? { usage } : {}),
        }),
      );
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let closed = false;
    res.on('close', () => (closed = true));
    const send = (delta: Record<string, unknown>, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );

    // OpenRouter sends SSE comments while it waits on the upstream model.
    res.write(': OPENROUTER PROCESSING\n\n');
    await sleep((opts.firstTokenMs ?? 0) + (fault?.kind === 'slow' ? fault.firstTokenMs : 0));
    const interval = 1000 / (opts.tokensPerSec ?? 200);
    const cutAfter = fault?.kind === 'cut' ? fault.afterChunks : Infinity;
    const errorAfter = fault?.kind === 'midStreamError' ? fault.afterChunks : Infinity;
    let sent = 0;
    const chunks: { delta: Record<string, unknown> }[] = [];
    pieces(text).forEach((p, i) => chunks.push({ delta: i === 0 ? { role: 'assistant', content: p } : { content: p } }));
    toolCalls.forEach((t, index) => {
      chunks.push({ delta: { tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] } });
      for (const p of pieces(t.arguments)) chunks.push({ delta: { tool_calls: [{ index, function: { arguments: p } }] } });
    });
    for (const c of chunks) {
      if (closed) return;
      if (sent >= cutAfter) return void res.destroy();
      if (sent >= errorAfter && fault?.kind === 'midStreamError') {
        const error = { code: fault.code ?? 502, message: fault.message ?? 'Provider returned error' };
        res.write(
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, error, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] })}\n\n`,
        );
        return void res.end();
      }
      send(c.delta);
      sent++;
      if (interval > 0) await sleep(interval);
    }
    if (closed) return;
    if (sent >= cutAfter) return void res.destroy();
    send({}, finishReason);
    if (wantUsage)
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    baseUrl: `${url}/api/v1`,
    apiKey,
    env: () => ({ OPENROUTER_BASE_URL: `${url}/api/v1` }),
    failNext(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    setModelDown(model, status) {
      if (status === undefined) down.delete(model);
      else down.set(model, status);
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
