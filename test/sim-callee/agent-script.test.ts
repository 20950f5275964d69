import { describe, expect, it } from 'vitest';
import { callbackTime, createDemoAgentScript, DEMO_GOODBYES, DEMO_QUESTION } from '../../sim/callee/agent-script';
import { PERSONAS, type PersonaStep } from '../../sim/callee';
import { startOpenRouterSim, type SimMessage } from '../../sim/openrouter/server';

const now = () => new Date('2026-11-26T01:30:00Z'); // 09:30 in Kuala Lumpur
const script = createDemoAgentScript({ now });
const convo = (...user: string[]): SimMessage[] => [
  { role: 'system', content: 'You are Aina.' },
  { role: 'assistant', content: 'Hello, this is Aina from Acme. Do you have a minute?' },
  ...user.flatMap((u) => [{ role: 'user', content: u }]),
];
const outcome = (r: ReturnType<typeof script>) => r.toolCalls?.find((t) => t.name === 'record_outcome')?.arguments;

describe('demo agent script', () => {
  it("answers each persona's lines with the outcome the demo expects", () => {
    const lines = (name: keyof typeof PERSONAS): string[] =>
      (PERSONAS[name] as PersonaStep[]).flatMap((s) => ('say' in s ? [s.say] : 'interrupt' in s ? [s.interrupt] : []));
    const [hello, yes] = lines('interested');
    expect(script(convo(hello!), 'm')).toEqual({ text: DEMO_QUESTION });
    const r = script(convo(hello!, yes!), 'm');
    expect(r.text).toBe(DEMO_GOODBYES.interested);
    expect(r.toolCalls).toEqual([
      { name: 'record_outcome', arguments: { result: 'interested' } },
      { name: 'end_call', arguments: {} },
    ]);
    expect(outcome(script(convo(...lines('not_interested')), 'm'))).toEqual({ result: 'not_interested' });
    const cb = script(convo(...lines('callback')), 'm');
    expect(outcome(cb)).toEqual({
      result: 'callback',
      callbackAt: '2026-11-27T10:00:00+08:00',
      notes: 'I am busy now. Call me back tomorrow at 10.',
    });
    expect(cb.toolCalls!.at(-1)!.name).toBe('end_call');
    const [wait, no] = lines('interrupter');
    expect(script(convo(wait!), 'm')).toEqual({ text: DEMO_QUESTION });
    expect(outcome(script(convo(wait!, no!), 'm'))).toEqual({ result: 'not_interested' });
  });

  it('acknowledges DTMF, asks a question by default and stays quiet after its own tool calls', () => {
    expect(script(convo('[DTMF] caller pressed 1'), 'm').text).toBe(`Thank you, you pressed 1. ${DEMO_QUESTION}`);
    expect(script(convo('DTMF 5'), 'm').text).toBe(`Thank you, you pressed 5. ${DEMO_QUESTION}`);
    expect(script(convo(), 'm')).toEqual({ text: DEMO_QUESTION });
    expect(
      script(
        [
          ...convo('Yes.'),
          { role: 'assistant', content: 'Bye', tool_calls: [] },
          { role: 'tool', content: 'ok', tool_call_id: 'x' },
        ],
        'm',
      ),
    ).toEqual({ text: '' });
  });

  it('reads callback times in the campaign time zone', () => {
    expect(callbackTime('call me back at 3:30 pm', now(), 480)).toBe('2026-11-26T15:30:00+08:00');
    expect(callbackTime('tomorrow at 9 am please', now(), 480)).toBe('2026-11-27T09:00:00+08:00');
    expect(callbackTime('later', now(), 480)).toBe('2026-11-27T10:00:00+08:00');
    // 23:30 UTC on the 26th is already the 27th in Kuala Lumpur.
    expect(callbackTime('tomorrow at 10', new Date('2026-11-26T23:30:00Z'), 480)).toBe('2026-11-28T10:00:00+08:00');
    expect(callbackTime('tomorrow at 10', now(), -300)).toBe('2026-11-26T10:00:00-05:00');
  });

  it('goes through the OpenRouter simulator as OpenAI tool calls', async () => {
    const sim = await startOpenRouterSim({ script });
    try {
      const res = await fetch(`${sim.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'demo', messages: convo('No thanks, I am not interested.') }),
      });
      const body = (await res.json()) as any;
      expect(body.choices[0].finish_reason).toBe('tool_calls');
      expect(body.choices[0].message.content).toBe(DEMO_GOODBYES.not_interested);
      expect(
        body.choices[0].message.tool_calls.map((t: any) => [t.type, t.function.name, JSON.parse(t.function.arguments)]),
      ).toEqual([
        ['function', 'record_outcome', { result: 'not_interested' }],
        ['function', 'end_call', {}],
      ]);
    } finally {
      await sim.close();
    }
  });
});
