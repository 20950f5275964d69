import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyScript } from '../../sim/openrouter/server';
import { startGatewayHarness, lines, type GatewayHarness } from './harness';

/**
 * Each vendor failing mid-call ends in a defined behaviour: a blip is absorbed (STT reconnect, a
 * TTS clause re-synthesised, the model retried or replaced by a fallback); an outage gets an
 * apology and mediaEnded `error` (no apology when TTS itself is down). Usage is billed either way:
 * what each vendor was sent or produced, before mediaEnded.
 */

const APOLOGY = "I'm sorry, we're having a technical problem, so I have to end the call. We'll get back to you. Goodbye.";
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last === 'Bye.') return { text: 'Bye.', toolCalls: [{ name: 'end_call', arguments: {} }] };
  return { text: `You said ${last.replace(/[.?!]$/, '')}. Anything else?` };
};

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ script, settings: { firstTokenTimeoutMs: 1_000 } });
});
afterAll(async () => {
  await h?.close();
});

function billedBeforeEnd(callId: string) {
  const names = h.workflows.of(callId).map((s) => s.name);
  expect(names.slice(-2)).toEqual(['usage', 'mediaEnded']);
  return h.workflows.lastUsage(callId)!;
}

describe('vendor failures mid-call', () => {
  it('LLM 429 on the campaign model: retried, then answered by the fallback model', async () => {
    h.openrouter.failNext({ kind: 'status', status: 429 }, 2);
    const call = h.call([{ say: 'Hello?' }, { say: 'Bye.' }], { agent: { fallbackModels: ['test/model-b'] } });
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    expect(lines(h.workflows.transcript(call.callId))[2]).toBe('agent: You said Hello. Anything else?');
    const models = h.openrouter.requests
      .filter((r) => JSON.stringify(r.messages).includes('Hello?') && !JSON.stringify(r.messages).includes('Bye.'))
      .map((r) => r.model);
    expect(models).toEqual(['test/model-a', 'test/model-a', 'test/model-b']);
  });

  it('LLM down (5xx on every model): apology, then mediaEnded error; failed requests cost nothing', async () => {
    h.openrouter.setModelDown('test/model-a', 503);
    h.openrouter.setModelDown('test/model-c', 502);
    try {
      const call = h.call([{ say: 'Hello?' }], { agent: { fallbackModels: ['test/model-c'] } });
      const ended = await h.waitEnded(call);
      expect(ended.reason).toBe('error');
      expect(ended.detail).toMatch(/openrouter/);
      expect(lines(h.workflows.transcript(call.callId))).toEqual([
        'agent: Hello, this is Aina from Acme.',
        'caller: Hello?',
        `agent: ${APOLOGY}`,
      ]);
      expect(call.media.agent.at(-1)!.text).toBe(APOLOGY);
      const usage = billedBeforeEnd(call.callId);
      expect(usage.promptTokens).toBe(0);
      expect(usage.completionTokens).toBe(0);
      expect(usage.ttsCharacters).toBeGreaterThan(APOLOGY.length);
    } finally {
      h.openrouter.setModelDown('test/model-a', undefined);
      h.openrouter.setModelDown('test/model-c', undefined);
    }
  });

  it('LLM silent past the first-token timeout: the fallback model answers', async () => {
    h.openrouter.failNext({ kind: 'slow', firstTokenMs: 5_000 });
    const call = h.call([{ say: 'Hello?' }, { say: 'Bye.' }], { agent: { fallbackModels: ['test/model-b'] } });
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    const t = h.workflows.transcript(call.callId);
    expect(t[2]!.text).toBe('You said Hello. Anything else?');
    expect(t[2]!.latency!.llmFirstTokenMs!).toBeGreaterThan(1_000);
  });

  it('LLM cut mid-stream: what was complete is said, then the apology; the partial generation is billed', async () => {
    h.openrouter.failNext({ kind: 'cut', afterChunks: 6 });
    const call = h.call([{ say: 'Hello?' }]);
    const ended = await h.waitEnded(call);
    expect(ended.reason).toBe('error');
    const t = lines(h.workflows.transcript(call.callId));
    expect(t).toEqual(['agent: Hello, this is Aina from Acme.', 'caller: Hello?', 'agent: You said Hello.', `agent: ${APOLOGY}`]);
    const usage = billedBeforeEnd(call.callId);
    expect(usage.completionTokens).toBeGreaterThan(0);
    expect(usage.promptTokens).toBeGreaterThan(0);
  });

  it('TTS connection closed mid-utterance: the clause is synthesised again and the call goes on', async () => {
    const call = h.call([{ say: 'Hello?' }, { say: 'Bye.' }]);
    // The greeting's stream is already open; the next one (the reply) is cut after one chunk.
    await new Promise((r) => setTimeout(r, 500));
    h.elevenlabs.closeNextAfter(1);
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    const t = lines(h.workflows.transcript(call.callId));
    expect(t[2]).toBe('agent: You said Hello. Anything else?');
    const usage = billedBeforeEnd(call.callId);
    const mine = h.elevenlabs.streams.filter((s) => s.closedBy !== null || s.characters > 0);
    expect(mine.some((s) => s.closedBy === 'fault')).toBe(true);
    // Every character sent is billed, including the clause that had to be sent twice.
    expect(usage.ttsCharacters).toBeGreaterThan('Hello, this is Aina from Acme. You said Hello. Anything else? Bye.'.length);
  });

  it('TTS down: the call ends with error at once (no voice left to apologise with)', async () => {
    const call = h.call([{ say: 'Hello?' }]);
    await new Promise((r) => setTimeout(r, 500));
    h.elevenlabs.failAuth(true);
    try {
      const ended = await h.waitEnded(call);
      expect(ended.reason).toBe('error');
      expect(ended.detail).toMatch(/elevenlabs/);
      billedBeforeEnd(call.callId);
    } finally {
      h.elevenlabs.failAuth(false);
    }
  });

  it('STT connection dropped: the session reconnects and the next turn is heard', async () => {
    const call = h.call([{ say: 'Hello?' }, { say: 'Bye.' }]);
    // Drop while the caller is listening to the greeting.
    await new Promise((r) => setTimeout(r, 1_000));
    h.azure.dropConnections();
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    expect(lines(h.workflows.transcript(call.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Hello?',
      'agent: You said Hello. Anything else?',
      'caller: Bye.',
      'agent: Bye.',
    ]);
    // Audio sent to every STT connection is billed.
    const usage = billedBeforeEnd(call.callId);
    expect(usage.sttAudioMs).toBeGreaterThan(3_000);
  });

  it('STT connection dropped mid-sentence: the new session is given the sentence again and hears it whole', async () => {
    const line = 'I would like to hear more about the plan you offer.';
    const before = h.azure.sessions.length; // the simulator's sessions of earlier tests stay listed
    const call = h.call([{ say: line }, { say: 'Bye.' }]);
    const mine = () => h.azure.sessions.slice(before);
    // Drop once the service has heard part of the line (its partials), before its final.
    const deadline = Date.now() + 20_000;
    while (!mine().some((s) => s.hypotheses.some((p) => p.startsWith('I would like'))) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(mine().flatMap((s) => s.phrases)).toEqual([]);
    h.azure.dropConnections();
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    const callerLines = h.workflows
      .transcript(call.callId)
      .filter((t) => t.role === 'caller')
      .map((t) => t.text);
    expect(callerLines).toEqual([line, 'Bye.']);
  });

  it('STT down for good: apology, then mediaEnded error', async () => {
    const call = h.call([{ silence: true }], { agent: { silenceTimeoutSec: 60 } });
    await new Promise((r) => setTimeout(r, 800));
    h.azure.refuseConnections(true);
    h.azure.dropConnections();
    try {
      const ended = await h.waitEnded(call, 60_000);
      expect(ended.reason).toBe('error');
      expect(ended.detail).toMatch(/azure/);
      expect(h.workflows.transcript(call.callId).at(-1)!.text).toBe(APOLOGY);
      billedBeforeEnd(call.callId);
    } finally {
      h.azure.refuseConnections(false);
    }
  });
});
