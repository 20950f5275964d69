import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyScript } from '../../sim/openrouter/server';
import { simTokens } from '../../sim/openrouter/server';
import { startGatewayHarness, lines, type GatewayHarness } from './harness';

/**
 * The conversation loop end to end against the vendor simulators and the simulated callee: what
 * the caller says is real audio the Azure simulator decodes, what the agent says is real audio the
 * callee decodes, so the transcript below is what was actually heard on both sides.
 */

const replies: Record<string, ReturnType<ReplyScript>> = {
  'Hello, who is this?': { text: 'I am Aina from Acme. We have a new plan.' },
  'What does it cost?': { text: 'Ten ringgit a month. Interested?' },
  'Yes, I am interested.': {
    text: 'Great.',
    toolCalls: [
      { name: 'record_outcome', arguments: { result: 'interested', notes: 'wants the plan' } },
      { name: 'end_call', arguments: { goodbye: 'Thank you, goodbye.' } },
    ],
  },
};
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  return replies[last] ?? { text: `Sorry, I did not get that.` };
};

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ script });
});
afterAll(async () => {
  await h?.close();
});

describe('media gateway conversation', () => {
  it('greets, takes three turns, records the outcome and says goodbye via end_call', async () => {
    const call = h.call([{ say: 'Hello, who is this?' }, { say: 'What does it cost?' }, { say: 'Yes, I am interested.' }]);
    const ended = await h.waitEnded(call);
    expect(ended.reason).toBe('end_call');

    const t = h.workflows.transcript(call.callId);
    expect(lines(t)).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Hello, who is this?',
      'agent: I am Aina from Acme. We have a new plan.',
      'caller: What does it cost?',
      'agent: Ten ringgit a month. Interested?',
      'caller: Yes, I am interested.',
      'agent: Great. Thank you, goodbye.',
    ]);
    // What the callee heard, decoded from the audio Twilio would have played.
    expect(call.media.agent.map((u) => u.text)).toEqual(t.filter((x) => x.role === 'agent').map((x) => x.text));
    expect(h.workflows.outcome(call.callId)).toEqual({ result: 'interested', notes: 'wants the plan' });

    // Latency stamps on every reply to the caller, in causal order.
    for (const turn of t.filter((x) => x.role === 'agent' && x.seq > 1)) {
      const l = turn.latency!;
      expect(l.sttFinalMs).toBeGreaterThanOrEqual(0);
      expect(l.llmFirstTokenMs!).toBeGreaterThanOrEqual(l.sttFinalMs!);
      expect(l.firstClauseMs!).toBeGreaterThanOrEqual(l.llmFirstTokenMs!);
      expect(l.firstFrameMs!).toBeGreaterThanOrEqual(l.ttsFirstByteMs!);
    }

    // Usage: three model calls as the simulator billed them, every character sent to TTS, the
    // caller's audio as sent to STT; usage arrives before mediaEnded.
    const usage = h.workflows.lastUsage(call.callId)!;
    const reqs = h.openrouter.requests;
    expect(reqs).toHaveLength(3);
    const completion = Object.values(replies).reduce(
      (n, r) =>
        n +
        simTokens(r.text ?? '') +
        (r.toolCalls ?? []).reduce((k, tc) => k + simTokens(tc.name + JSON.stringify(tc.arguments)), 0),
      0,
    );
    expect(usage.completionTokens).toBe(completion);
    expect(usage.promptTokens).toBeGreaterThan(0);
    expect(usage.llmReportedCostMicro).toBeGreaterThan(0);
    const spoken = t.filter((x) => x.role === 'agent').map((x) => x.text);
    const ttsChars = h.elevenlabs.streams.reduce((n, s) => n + s.characters, 0);
    expect(usage.ttsCharacters).toBe(ttsChars);
    expect(usage.ttsCharacters).toBeGreaterThanOrEqual(spoken.join('').replace(/ /g, '').length);
    const sttBytes = h.azure.sessions.reduce((n, s) => n + s.audioBytes, 0);
    // Metered as written to the SDK: never less than Azure received; more only by the tail the SDK
    // had not sent when the session closed (a few frames; ~220 ms seen on a saturated box).
    expect(usage.sttAudioMs).toBeGreaterThanOrEqual(Math.floor(sttBytes / 8));
    expect(usage.sttAudioMs - sttBytes / 8).toBeLessThan(1_000);
    // Audio nobody was waiting on went to Azure in gathered messages (conversation/stt-pacing.ts):
    // far fewer than one per 20 ms frame (50 per second), yet every turn above ended on time.
    const sttMessages = h.azure.sessions.reduce((n, s) => n + s.audioMessages, 0);
    expect(sttMessages / (sttBytes / 8000)).toBeLessThan(25);
    const names = h.workflows.of(call.callId).map((s) => s.name);
    expect(names[0]).toBe('attachMedia');
    expect(names.at(-1)).toBe('mediaEnded');
    expect(names.at(-2)).toBe('usage');
    // The gateway closed the stream after the goodbye played.
    expect(call.media.end?.by).toBe('gateway');
    expect(call.media.end?.code).toBe(1000);
  });
});
