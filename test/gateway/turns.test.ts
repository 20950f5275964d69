import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyScript } from '../../sim/openrouter/server';
import { startGatewayHarness, lines, type GatewayHarness } from './harness';

/** Turn-taking with a real caller on the line: barge-in, back-channels, the keypad, silence. */

const LONG =
  'Our new plan gives you unlimited calls and free data on weekends, and a new phone every year. It is the best deal we have.';
const replies: Record<string, ReturnType<ReplyScript>> = {
  'Hello?': { text: LONG },
  'Wait, stop.': { text: 'Sorry, go ahead.' },
  '[keypad] 12#': { text: 'You pressed one two.' },
  'Bye.': { text: 'Bye.', toolCalls: [{ name: 'end_call', arguments: {} }] },
};
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  return replies[last] ?? { text: 'Pardon?' };
};

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ script });
});
afterAll(async () => {
  await h?.close();
});

describe('turn-taking', () => {
  it('barge-in: clear at once, the reply is cancelled and its transcript ends where the caller stopped hearing it', async () => {
    const call = h.call([{ say: 'Hello?' }, { interrupt: 'Wait, stop.', afterAgentMs: 2_500 }, { say: 'Bye.' }]);
    expect((await h.waitEnded(call)).reason).toBe('end_call');

    const t = h.workflows.transcript(call.callId);
    const cut = t.find((x) => x.interrupted)!;
    expect(cut.role).toBe('agent');
    expect(LONG.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBeGreaterThan(10);
    expect(cut.text.length).toBeLessThan(LONG.length / 2);
    expect(lines(t).filter((l) => !l.includes('interrupted'))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Hello?',
      'caller: Wait, stop.',
      'agent: Sorry, go ahead.',
      'caller: Bye.',
      'agent: Bye.',
    ]);

    // What the callee heard: the greeting, the long reply cut short, then the next reply — nothing of
    // the cancelled reply leaked after the clear (it would be heard as extra speech).
    const heard = call.media.agent.map((u) => u.text);
    expect(heard).toHaveLength(4);
    expect(heard[0]).toBe('Hello, this is Aina from Acme.');
    expect(LONG.startsWith(heard[1]!)).toBe(true);
    expect(heard.slice(2)).toEqual(['Sorry, go ahead.', 'Bye.']);
    expect(call.media.clears).toHaveLength(1);
    expect(call.media.clears[0]!.droppedBytes).toBeGreaterThan(0);
    // The transcript was cut at the last mark the callee confirmed: it heard at most one more chunk
    // (400 ms ≈ 5 characters of simulated speech), and the cut goes back to a word boundary.
    expect(heard[1]!.length - cut.text.length).toBeGreaterThanOrEqual(-2);
    expect(heard[1]!.length - cut.text.length).toBeLessThanOrEqual(12);

    // The model was told what the caller heard, not what it had written.
    const next = h.openrouter.requests.find((r) =>
      (r.messages as { content: string }[]).some((m) => m.content === 'Wait, stop.'),
    )!;
    const assistant = (next.messages as { role: string; content: string }[])
      .filter((m) => m.role === 'assistant')
      .map((m) => m.content);
    expect(assistant).toContain(cut.text);
    expect(assistant).not.toContain(LONG);
  });

  it('a back-channel ("Ok.") while the agent talks does not interrupt it', async () => {
    const call = h.call([{ say: 'Hello?' }, { backchannel: 'Ok.', afterAgentMs: 1_500 }, { say: 'Bye.' }]);
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    expect(call.media.clears).toEqual([]);
    const t = h.workflows.transcript(call.callId);
    expect(t.some((x) => x.interrupted)).toBe(false);
    expect(lines(t)).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Hello?',
      `agent: ${LONG}`,
      'caller: Ok.',
      'caller: Bye.',
      'agent: Bye.',
    ]);
    expect(call.media.agent.map((u) => u.text)).toContain(LONG);
    // The back-channel did not cost a model call.
    expect(h.openrouter.requests.filter((r) => JSON.stringify(r.messages).includes('"Ok."'))).toEqual([]);
  });

  it('DTMF digits reach the agent as text', async () => {
    const call = h.call([{ dtmf: '12#' }, { say: 'Bye.' }]);
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    expect(lines(h.workflows.transcript(call.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: [keypad] 12#',
      'agent: You pressed one two.',
      'caller: Bye.',
      'agent: Bye.',
    ]);
  });

  it('silence: re-prompts once, then says goodbye and ends with silence_timeout', async () => {
    const call = h.call([{ silence: true }], { agent: { silenceTimeoutSec: 2 } });
    const ended = await h.waitEnded(call);
    expect(ended.reason).toBe('silence_timeout');
    expect(lines(h.workflows.transcript(call.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'agent: Are you still there?',
      "agent: I can't hear you, so I'll end the call now. Goodbye.",
    ]);
    expect(call.media.agent.map((u) => u.text)).toEqual([
      'Hello, this is Aina from Acme.',
      'Are you still there?',
      "I can't hear you, so I'll end the call now. Goodbye.",
    ]);
    // Silence timers measure from the end of the agent's audio as played, not as sent.
    const [greet, reprompt] = call.media.agent;
    expect(reprompt!.startMs - greet!.endMs!).toBeGreaterThanOrEqual(2_000);
  });

  it('a caller hang-up mid-greeting ends with caller_hangup and the final usage first', async () => {
    const call = h.call([{ hangup: true, after: { ms: 800 } }]);
    expect((await h.waitEnded(call)).reason).toBe('caller_hangup');
    const names = h.workflows.of(call.callId).map((s) => s.name);
    expect(names.slice(-2)).toEqual(['usage', 'mediaEnded']);
    const usage = h.workflows.lastUsage(call.callId)!;
    expect(usage.ttsCharacters).toBeGreaterThan(0);
    expect(usage.sttAudioMs).toBeGreaterThan(400);
  });
});
