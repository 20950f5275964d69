import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyScript } from '../../sim/openrouter/server';
import { startGatewayHarness, lines, type GatewayHarness } from './harness';

/** 50 calls at once on one gateway: each hears and is heard only by itself, each is billed for itself. */

const N = 50;
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const m = /caller (\d+)/.exec(last);
  if (m) return { text: `Hi ${m[1]}.` };
  if (last === 'Bye.')
    return {
      text: 'Bye.',
      toolCalls: [
        { name: 'record_outcome', arguments: { result: 'interested' } },
        { name: 'end_call', arguments: {} },
      ],
    };
  return { text: 'Pardon?' };
};

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ script });
});
afterAll(async () => {
  await h?.close();
});

describe('concurrent calls', () => {
  it(`${N} calls do not interfere`, async () => {
    const calls = Array.from({ length: N }, (_, k) =>
      h.call([{ say: `I am caller ${k}.` }, { say: 'Bye.' }], { agent: { firstMessage: `Call ${k}.` } }),
    );
    const ended = await Promise.all(calls.map((c) => h.waitEnded(c, 90_000)));
    expect(ended.map((e) => e.reason)).toEqual(calls.map(() => 'end_call'));
    calls.forEach((c, k) => {
      expect(lines(h.workflows.transcript(c.callId)), `call ${k}`).toEqual([
        `agent: Call ${k}.`,
        `caller: I am caller ${k}.`,
        `agent: Hi ${k}.`,
        'caller: Bye.',
        'agent: Bye.',
      ]);
      expect(
        c.media.agent.map((u) => u.text),
        `call ${k} heard`,
      ).toEqual([`Call ${k}.`, `Hi ${k}.`, 'Bye.']);
      expect(h.workflows.outcome(c.callId)).toEqual({ result: 'interested' });
      const u = h.workflows.lastUsage(c.callId)!;
      // Per call: 2 model calls, its own characters only.
      expect(u.ttsCharacters).toBe(`Call ${k}. `.length + `Hi ${k}. `.length + 'Bye. '.length);
    });
    expect(h.gateway.sessions.size).toBe(0);
  }, 120_000);
});
