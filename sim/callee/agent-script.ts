import type { ReplyScript, SimMessage, SimReply } from '../openrouter/server';

/**
 * The demo agent's "LLM" for the OpenRouter simulator: keyword rules on what the caller last said,
 * so a conversation with a persona (persona.ts) is deterministic end to end.
 *
 *   not interested / no thanks / don't call  → record_outcome not_interested, goodbye, end_call
 *   call (me) back / tomorrow / later [at H[:MM] [am|pm]] → record_outcome callback with callbackAt, goodbye, end_call
 *   interested / yes / sure / tell me more    → record_outcome interested, goodbye, end_call
 *   a DTMF key press (text mentioning dtmf / pressed / key and a digit) → acknowledges it and asks again
 *   anything else (greeting questions, silence prompts) → one short question
 *   after its own tool calls come back        → nothing more to say (the goodbye was already spoken)
 *
 * Tools use the OpenAI tool-call shape: record_outcome { result, callbackAt?, notes? } (the call
 * workflow's CallOutcome) and end_call {}.
 */

export interface DemoAgentScriptOptions {
  /** For "tomorrow"; default the wall clock. */
  now?: () => Date;
  /** The campaign's time zone as a UTC offset in minutes (default +480, Malaysia). */
  utcOffsetMinutes?: number;
}

export const DEMO_QUESTION = 'I am calling about our new savings plan. Would you be interested?';
export const DEMO_GOODBYES = {
  interested: 'Wonderful, a specialist will contact you soon. Thank you, goodbye!',
  not_interested: 'No problem, thank you for your time. Goodbye!',
  callback: 'Sure, I will call you back then. Goodbye!',
} as const;

const NOT_INTERESTED = /\b(not interested|no thanks|no,? thank you|don'?t call|do not call|stop calling)\b/i;
const CALLBACK = /\b(call (me )?back|callback|tomorrow|later)\b/i;
const INTERESTED = /\b(interested|yes|yeah|sure|sounds good|tell me more)\b/i;
const DTMF = /\b(dtmf|pressed|keypad|key)\b/i;

function offsetIso(d: Date, offsetMin: number): string {
  const local = new Date(d.getTime() + offsetMin * 60_000).toISOString().slice(0, 19);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** "tomorrow at 10", "call me back at 3:30 pm", "later" → an ISO time with the campaign's offset. */
export function callbackTime(text: string, now: Date, offsetMin: number): string {
  const m = /\bat (\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?/i.exec(text);
  let hour = m ? Number(m[1]) : 10;
  const minute = m?.[2] ? Number(m[2]) : 0;
  if (m?.[3]?.toLowerCase().startsWith('p') && hour < 12) hour += 12;
  if (m?.[3]?.toLowerCase().startsWith('a') && hour === 12) hour = 0;
  // Calendar day in the campaign's zone, then that wall-clock time, expressed back in UTC.
  const local = new Date(now.getTime() + offsetMin * 60_000);
  const tomorrow = /\btomorrow\b/i.test(text) || !m;
  const day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + (tomorrow ? 1 : 0), hour % 24, minute);
  return offsetIso(new Date(day - offsetMin * 60_000), offsetMin);
}

const text = (m: SimMessage | undefined) => (typeof m?.content === 'string' ? m.content : '');

export function createDemoAgentScript(opts: DemoAgentScriptOptions = {}): ReplyScript {
  const now = opts.now ?? (() => new Date());
  const offset = opts.utcOffsetMinutes ?? 480;
  const close = (result: keyof typeof DEMO_GOODBYES, extra: Record<string, unknown> = {}): SimReply => ({
    text: DEMO_GOODBYES[result],
    toolCalls: [
      { name: 'record_outcome', arguments: { result, ...extra } },
      { name: 'end_call', arguments: {} },
    ],
  });
  return (messages) => {
    const last = messages.at(-1);
    // Our tool calls came back: the goodbye was said with them, nothing more to add.
    if (last?.role === 'tool') return { text: '' };
    const said = text([...messages].reverse().find((m) => m.role === 'user'));
    if (!said) return { text: DEMO_QUESTION };
    if (DTMF.test(said)) {
      const digit = /([0-9*#])/.exec(said.replace(/\bdtmf\b/i, ''))?.[1];
      return { text: digit ? `Thank you, you pressed ${digit}. ${DEMO_QUESTION}` : DEMO_QUESTION };
    }
    if (NOT_INTERESTED.test(said)) return close('not_interested');
    if (CALLBACK.test(said)) return close('callback', { callbackAt: callbackTime(said, now(), offset), notes: said });
    if (INTERESTED.test(said)) return close('interested');
    return { text: DEMO_QUESTION };
  };
}

export const demoAgentScript: ReplyScript = createDemoAgentScript();
