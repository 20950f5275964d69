import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpenRouterSim, simTokens, DEFAULT_PRICE_PER_TOKEN, type OpenRouterSim } from '../../sim/openrouter/server';
import { OpenRouterChatModel, ChatModelError, usdToMicro } from '../../providers/openrouter/adapter';
import type { ChatDelta, ChatRequest } from '../../providers/types';

let sim: OpenRouterSim;
let model: OpenRouterChatModel;

beforeAll(async () => {
  sim = await startOpenRouterSim({
    tokensPerSec: 2000,
    script: (messages) => {
      const last = messages.at(-1)!;
      if (last.role === 'tool') return { text: `Booked: ${last.content}` };
      if (last.content?.includes('book'))
        return { text: 'Let me book that.', toolCalls: [{ name: 'book_table', arguments: { people: 2, time: '19:00' } }] };
      if (last.content?.includes('long')) return { text: 'word '.repeat(400) };
      return { text: `You said: ${last.content}` };
    },
  });
  model = new OpenRouterChatModel({ apiKey: sim.apiKey, baseURL: sim.baseUrl, retryBaseMs: 5 });
});
afterAll(() => sim.close());

async function collect(req: ChatRequest): Promise<ChatDelta[]> {
  const out: ChatDelta[] = [];
  for await (const d of model.stream(req)) out.push(d);
  return out;
}
const text = (ds: ChatDelta[]) => ds.map((d) => (d.type === 'text' ? d.text : '')).join('');

describe('OpenRouter ChatModel against the simulator', () => {
  it('streams text in several deltas and reports usage with cost in micro-units', async () => {
    const ds = await collect({
      model: 'meta-llama/llama-3.1-70b-instruct',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello there' },
      ],
    });
    expect(text(ds)).toBe('You said: hello there');
    expect(ds.filter((d) => d.type === 'text').length).toBeGreaterThan(2);
    const usage = ds.at(-1)!;
    const prompt = 4 + simTokens('Be brief.') + 4 + simTokens('hello there');
    const completion = simTokens('You said: hello there');
    expect(usage).toEqual({
      type: 'usage',
      promptTokens: prompt,
      completionTokens: completion,
      costMicro: usdToMicro((prompt + completion) * DEFAULT_PRICE_PER_TOKEN),
      model: 'meta-llama/llama-3.1-70b-instruct',
    });
    expect(sim.requests.at(-1)).toMatchObject({ stream: true, usage: { include: true } });
  });

  it('assembles streamed tool calls and sends tool results back', async () => {
    const tools = [{ name: 'book_table', description: 'Book', parameters: { type: 'object', properties: {} } }];
    const ds = await collect({ model: 'm', tools, messages: [{ role: 'user', content: 'please book a table' }] });
    expect(text(ds)).toBe('Let me book that.');
    const calls = ds.filter((d) => d.type === 'tool_call');
    expect(calls).toHaveLength(1);
    const call = calls[0] as Extract<ChatDelta, { type: 'tool_call' }>;
    expect(call.name).toBe('book_table');
    expect(JSON.parse(call.arguments)).toEqual({ people: 2, time: '19:00' });
    expect(sim.requests.at(-1)!.tools).toEqual([{ type: 'function', function: tools[0] }]);

    const follow = await collect({
      model: 'm',
      messages: [
        { role: 'user', content: 'please book a table' },
        {
          role: 'assistant',
          content: 'Let me book that.',
          toolCalls: [{ id: call.id, name: call.name, arguments: call.arguments }],
        },
        { role: 'tool', toolCallId: call.id, content: 'ok #42' },
      ],
    });
    expect(text(follow)).toBe('Booked: ok #42');
    expect((sim.requests.at(-1)!.messages as { tool_call_id?: string }[])[2]!.tool_call_id).toBe(call.id);
  });

  it('passes the fallback list and reports the model that answered', async () => {
    sim.setModelDown('primary/model', 503);
    try {
      const ds = await collect({
        model: 'primary/model',
        fallbackModels: ['backup/model'],
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(text(ds)).toBe('You said: hi');
      expect(ds.at(-1)).toMatchObject({ type: 'usage', model: 'backup/model' });
      expect(sim.requests.at(-1)!.models).toEqual(['primary/model', 'backup/model']);
    } finally {
      sim.setModelDown('primary/model', undefined);
    }
  });

  it('retries 429 and 5xx before the first token', async () => {
    const before = sim.requests.length;
    sim.failNext({ kind: 'status', status: 429 });
    sim.failNext({ kind: 'status', status: 502 });
    const ds = await collect({ model: 'm', messages: [{ role: 'user', content: 'retry me' }] });
    expect(text(ds)).toBe('You said: retry me');
    expect(sim.requests.length - before).toBe(3);
  });

  it('gives up after maxAttempts and never retries 402', async () => {
    sim.failNext({ kind: 'status', status: 500 }, 3);
    await expect(collect({ model: 'm', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      name: 'ChatModelError',
      status: 500,
    });
    const before = sim.requests.length;
    sim.failNext({ kind: 'status', status: 402 });
    const err = await collect({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatModelError);
    expect((err as ChatModelError).status).toBe(402);
    expect((err as ChatModelError).retryable).toBe(false);
    expect(sim.requests.length - before).toBe(1);
  });

  it('does not retry a stream cut after the first token: the error surfaces', async () => {
    sim.failNext({ kind: 'cut', afterChunks: 3 });
    const got: ChatDelta[] = [];
    const err = await (async () => {
      for await (const d of model.stream({ model: 'm', messages: [{ role: 'user', content: 'a rather long message to cut' }] }))
        got.push(d);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatModelError);
    expect(text(got).length).toBeGreaterThan(0);
    expect(text(got)).not.toBe('You said: a rather long message to cut');
  });

  it('an error event after the stream has started surfaces as a failure, not as the end of the reply', async () => {
    const before = sim.requests.length;
    sim.failNext({ kind: 'midStreamError', afterChunks: 2, message: 'Upstream model went away' });
    const got: ChatDelta[] = [];
    const err = await (async () => {
      for await (const d of model.stream({ model: 'm', messages: [{ role: 'user', content: 'a rather long message to break' }] }))
        got.push(d);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChatModelError);
    expect((err as Error).message).toContain('Upstream model went away');
    expect((err as ChatModelError).retryable).toBe(false);
    expect(text(got).length).toBeGreaterThan(0);
    expect(sim.requests.length - before).toBe(1);
  });

  it('abort mid-stream ends the stream early (barge-in)', async () => {
    const slow = new OpenRouterChatModel({ apiKey: sim.apiKey, baseURL: sim.baseUrl });
    const ac = new AbortController();
    const got: ChatDelta[] = [];
    for await (const d of slow.stream({
      model: 'm',
      messages: [{ role: 'user', content: 'say something long' }],
      signal: ac.signal,
    })) {
      got.push(d);
      if (got.length === 5) ac.abort();
    }
    expect(got.length).toBeGreaterThanOrEqual(5);
    expect(got.length).toBeLessThan(50);
    expect(got.some((d) => d.type === 'usage')).toBe(false);
  });

  it('rejects a wrong key without retrying', async () => {
    const bad = new OpenRouterChatModel({ apiKey: 'wrong', baseURL: sim.baseUrl, retryBaseMs: 5 });
    const err = await (async () => {
      for await (const _ of bad.stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] })) void _;
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'ChatModelError', status: 401, retryable: false });
  });
});
