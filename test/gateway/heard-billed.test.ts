import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyScript } from '../../sim/openrouter/server';
import { OPT_OUT_OUTCOME } from '../../workflows/call/contract';
import { startGatewayHarness, lines, type GatewayHarness } from './harness';

/**
 * On the wire (gateway, vendor simulators, simulated callee): what is heard = what is recorded =
 * what is billed at the end of a call and on a barge-in, vendor text cleaned, and opt-out.
 */

const LONG =
  'Our new plan gives you unlimited calls and free data on weekends, and a new phone every year. It is the best deal we have.';
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last === 'Hello?') return { text: LONG };
  if (last === 'Dirty.')
    return {
      text: 'Fi\u0000ne \ud800thanks.',
      toolCalls: [{ name: 'record_outcome', arguments: { result: 'interested', notes: 'no\u0000tes \udc00' } }],
    };
  if (last === 'Bye.') return { text: 'Bye.', toolCalls: [{ name: 'end_call', arguments: {} }] };
  return { text: 'Pardon?' };
};

let h: GatewayHarness;
let slow: GatewayHarness;
beforeAll(async () => {
  [h, slow] = await Promise.all([
    startGatewayHarness({ script, settings: { optOutDigit: '9' } }),
    // A model slower than speech: a barge-in catches its stream before the usage chunk.
    startGatewayHarness({ script, tokensPerSec: 6 }),
  ]);
});
afterAll(async () => {
  await Promise.all([h?.close(), slow?.close()]);
});

describe('heard = recorded = billed', () => {
  it('a caller who hangs up mid-reply: the reply is saved as an interrupted turn cut where they stopped hearing it', async () => {
    const call = h.call([{ say: 'Hello?' }, { hangup: true, after: { ms: 2_500 } }]);
    expect((await h.waitEnded(call)).reason).toBe('caller_hangup');
    const t = h.workflows.transcript(call.callId);
    expect(lines(t).slice(0, 2)).toEqual(['agent: Hello, this is Aina from Acme.', 'caller: Hello?']);
    const cut = t.at(-1)!;
    expect(cut).toMatchObject({ role: 'agent', interrupted: true });
    expect(cut.text.length).toBeGreaterThan(5);
    expect(LONG.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBeLessThan(LONG.length);
    // What the callee heard of it: at most one chunk more than the marks confirmed, cut back to a word.
    const heard = call.media.agent.at(-1)!.text;
    expect(LONG.startsWith(heard)).toBe(true);
    expect(heard.length - cut.text.length).toBeGreaterThanOrEqual(-2);
    expect(heard.length - cut.text.length).toBeLessThanOrEqual(12);
    // The turn goes before the final usage and mediaEnded.
    expect(
      h.workflows
        .of(call.callId)
        .map((s) => s.name)
        .slice(-3),
    ).toEqual(['transcript', 'usage', 'mediaEnded']);
  });

  it('the model tokens of a reply abandoned by a barge-in are priced like the others', async () => {
    const call = slow.call([{ say: 'Hello?' }, { interrupt: 'Wait, stop.', afterAgentMs: 1_200 }, { say: 'Bye.' }]);
    expect((await slow.waitEnded(call, 60_000)).reason).toBe('end_call');
    expect(slow.workflows.transcript(call.callId).some((t) => t.interrupted && t.role === 'agent')).toBe(true);
    const u = slow.workflows.lastUsage(call.callId)!;
    // The simulator prices every token at $0.52 per million (0.52 µ$): with the abandoned round
    // priced at the rate the finished rounds reported, the call's cost is its tokens at that rate.
    // Without it, the abandoned round (its whole prompt and what streamed) would be missing.
    const tokens = u.promptTokens + u.completionTokens;
    expect(u.llmReportedCostMicro).toBeGreaterThanOrEqual(Math.floor(tokens * 0.52) - 3);
    expect(u.llmReportedCostMicro).toBeLessThanOrEqual(Math.ceil(tokens * 0.52) + 3);
    const requests = slow.openrouter.requests.length;
    expect(requests).toBeGreaterThanOrEqual(3);
  });

  it('vendor text (model output, tool arguments) leaves the gateway without NUL or lone surrogates', async () => {
    const call = h.call([{ say: 'Dirty.' }, { say: 'Bye.' }]);
    expect((await h.waitEnded(call)).reason).toBe('end_call');
    const t = h.workflows.transcript(call.callId);
    expect(lines(t)).toContain('agent: Fine \ufffdthanks.');
    expect(h.workflows.outcome(call.callId)).toEqual({ result: 'interested', notes: 'notes \ufffd' });
    for (const turn of t) expect(turn.text).not.toMatch(/[\u0000\ud800-\udfff]/);
  });
});

describe('opt-out', () => {
  for (const words of ["Don't call me again.", 'Jangan telefon saya lagi.']) {
    it(`"${words}": a short confirmation, the outcome opt_out, and the call ends without asking the model`, async () => {
      const call = h.call([{ say: words }], { agent: words.startsWith('Jangan') ? { language: 'ms-MY' } : {} });
      const ended = await h.waitEnded(call);
      expect(ended).toMatchObject({ reason: 'end_call', detail: OPT_OUT_OUTCOME });
      expect(h.workflows.outcome(call.callId)).toMatchObject({ result: OPT_OUT_OUTCOME });
      const confirmation = words.startsWith('Jangan')
        ? 'Baik, kami tidak akan menelefon anda lagi. Selamat tinggal.'
        : "Understood, we won't call you again. Goodbye.";
      expect(lines(h.workflows.transcript(call.callId)).slice(-2)).toEqual([`caller: ${words}`, `agent: ${confirmation}`]);
      expect(call.media.agent.at(-1)!.text).toBe(confirmation);
      expect(h.openrouter.requests.filter((r) => JSON.stringify(r.messages).includes(words.slice(0, 10)))).toEqual([]);
      // The outcome went before the end: the workflow has it when it settles.
      const names = h.workflows.of(call.callId).map((s) => s.name);
      expect(names.indexOf('outcome')).toBeLessThan(names.indexOf('mediaEnded'));
    });
  }

  it('the configured key (9): the same confirmation and opt_out', async () => {
    const call = h.call([{ dtmf: '9' }]);
    expect(await h.waitEnded(call)).toMatchObject({ reason: 'end_call', detail: OPT_OUT_OUTCOME });
    expect(h.workflows.outcome(call.callId)?.result).toBe(OPT_OUT_OUTCOME);
    expect(lines(h.workflows.transcript(call.callId)).slice(-2)).toEqual([
      'caller: [keypad] 9',
      "agent: Understood, we won't call you again. Goodbye.",
    ]);
  });
});
