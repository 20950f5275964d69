import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lines } from './harness';
import { startFakeCall, useFakeClock, type FakeCall } from './fakes';

/**
 * The conversation's state machine driven without sockets: fake STT / model / TTS, a fake io for
 * Twilio and a fake clock. One test per transition and per race named in machine.ts.
 */

beforeEach(() => useFakeClock());
afterEach(() => vi.useRealTimers());

const SPEAKING = new Set(['greeting', 'thinking', 'speaking', 'leavingMessage', 'ending']);

/** Lets the agent's audio go out and echoes every mark, until it stops talking. */
async function playOut(c: FakeCall, maxMs = 10_000) {
  for (let t = 0; t < maxMs && SPEAKING.has(c.session.state); t += 50) {
    await c.advance(50);
    c.hear();
  }
}

/** The caller says `text`: voice, then the STT final. */
async function say(c: FakeCall, text: string) {
  await c.voice(200);
  c.stt.current.emit('partial', text);
  c.stt.current.emit('final', text, { offsetMs: 0, durationMs: 200 });
  await c.advance(1);
}

const LONG = 'Our new plan gives you unlimited calls and free data on weekends, and a new phone every year.';

describe('conversation state machine', () => {
  it('attached → greeting → listening once the greeting has played (marks echoed), not when it was sent', async () => {
    const c = await startFakeCall();
    expect(c.session.state).toBe('greeting');
    await c.advance(500); // all audio sent, no mark echoed
    expect(c.session.state).toBe('greeting');
    c.hear();
    await c.advance(1);
    expect(c.session.state).toBe('listening');
    expect(c.states).toEqual(['greeting', 'listening']);
    expect(lines(c.workflows.transcript(c.callId))).toEqual(['agent: Hello, this is Aina from Acme.']);
  });

  it('listening → thinking on a final → speaking at the first frame → listening once played', async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Hello?', { text: 'Hi! How are you?' });
    await say(c, 'Hello?');
    expect(c.session.state).toBe('thinking');
    await playOut(c);
    expect(c.states).toEqual(['greeting', 'listening', 'thinking', 'speaking', 'listening']);
    expect(lines(c.workflows.transcript(c.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Hello?',
      'agent: Hi! How are you?',
    ]);
  });

  it('speaking → listening on a partial with voice (barge-in): clear, and the turn is cut at the last confirmed mark', async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Hello?', { text: LONG });
    await say(c, 'Hello?');
    await c.advance(300);
    expect(c.session.state).toBe('speaking');
    c.hear(3); // the caller heard three chunks
    await c.voice(60);
    c.stt.current.emit('partial', 'wait');
    expect(c.session.state).toBe('listening');
    expect(c.io.clears).toHaveLength(1);
    const cut = c.workflows.transcript(c.callId).find((t) => t.interrupted)!;
    expect(cut.role).toBe('agent');
    expect(LONG.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBeGreaterThan(0);
    expect(cut.text.length).toBeLessThan(LONG.length / 2);
  });

  it('a partial with no voice behind it does not interrupt (the service catching up on earlier audio)', async () => {
    const c = await startFakeCall();
    await c.advance(1_000); // 1 s after any voice
    c.stt.current.emit('partial', 'wait');
    expect(c.session.state).toBe('greeting');
    expect(c.io.clears).toEqual([]);
  });

  it('a back-channel final over audible speech is transcribed, not answered, and does not interrupt', async () => {
    const c = await startFakeCall();
    await c.advance(30);
    await c.voice(100);
    c.stt.current.emit('partial', 'ok');
    c.stt.current.emit('final', 'Ok.', { offsetMs: 0, durationMs: 100 });
    expect(c.session.state).toBe('greeting');
    await playOut(c);
    expect(c.llm.requests).toHaveLength(0);
    // The agent's turn took its place at its first frame, before the caller's back-channel.
    expect(lines(c.workflows.transcript(c.callId))).toEqual(['agent: Hello, this is Aina from Acme.', 'caller: Ok.']);
  });

  it('thinking → thinking: a new final replaces the reply still being written (no audio yet, nothing to clear)', async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Hello?', { text: 'This reply never gets out.', stallAfter: 2 });
    c.llm.answers.set('Are you there?', { text: 'Yes, I am here.' });
    await say(c, 'Hello?');
    await c.advance(25);
    await say(c, 'Are you there?');
    await playOut(c);
    expect(c.io.clears).toEqual([]);
    expect(lines(c.workflows.transcript(c.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Hello?',
      'caller: Are you there?',
      'agent: Yes, I am here.',
    ]);
    expect(c.tts.texts.join(' ')).not.toContain('never');
  });

  it('a key interrupts the agent; the entry goes to the model after the debounce as [keypad] digits', async () => {
    const c = await startFakeCall();
    await c.advance(30);
    c.hear(1);
    c.session.dtmfDigit('1');
    expect(c.session.state).toBe('listening');
    expect(c.io.clears).toHaveLength(1);
    c.session.dtmfDigit('2');
    await c.advance(1_100);
    expect(c.llm.requests).toHaveLength(0);
    await c.advance(200);
    expect(c.states).toEqual(['greeting', 'listening', 'thinking', 'speaking']);
    expect(c.llm.requests[0]!.messages.at(-1)).toMatchObject({ role: 'user', content: '[keypad] 12' });
  });

  it('listening → speaking on the silence timeout (re-prompt), then the goodbye → ended silence_timeout', async () => {
    const c = await startFakeCall({ agent: { silenceTimeoutSec: 2 } });
    await playOut(c);
    await c.advance(1_990);
    expect(c.session.state).toBe('listening');
    await c.advance(20);
    expect(c.session.state).toBe('speaking');
    await playOut(c);
    await c.advance(2_010);
    await playOut(c);
    await c.advance(10);
    expect(c.session.state).toBe('ended');
    expect(c.workflows.ended(c.callId)?.reason).toBe('silence_timeout');
    expect(lines(c.workflows.transcript(c.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'agent: Are you still there?',
      "agent: I can't hear you, so I'll end the call now. Goodbye.",
    ]);
  });

  it('race: caller voice just before the silence timer fires restarts the wait instead of re-prompting', async () => {
    const c = await startFakeCall({ agent: { silenceTimeoutSec: 2 } });
    await playOut(c);
    await c.advance(1_900);
    await c.voice(80); // voice, but no transcript yet
    await c.advance(200); // the timer's first deadline passes
    expect(c.session.state).toBe('listening');
    expect(c.tts.texts).not.toContain('Are you still there?');
  });

  it('line noise (voice, no transcript) after the re-prompt postpones the goodbye but does not re-prompt again', async () => {
    const c = await startFakeCall({ agent: { silenceTimeoutSec: 2 } });
    await playOut(c);
    await c.advance(2_010);
    await playOut(c); // "Are you still there?"
    await c.advance(1_000);
    await c.voice(60, 40); // a crackle on the line
    await c.advance(1_500); // 2 s after the agent's audio, but only 1.5 s after the noise
    expect(c.session.state).toBe('listening');
    await c.advance(600);
    expect(c.tts.texts.filter((t) => t === 'Are you still there?')).toHaveLength(1);
    expect(c.tts.texts.join(' ')).toContain("I can't hear you");
  });

  it('race: the timer fires in the same instant a final starts a reply: the reply wins, no re-prompt', async () => {
    const c = await startFakeCall({ agent: { silenceTimeoutSec: 2 } });
    await playOut(c);
    await c.advance(1_999);
    c.stt.current.emit('final', 'Hello?', { offsetMs: 0, durationMs: 100 });
    await c.advance(5);
    expect(c.session.state).toBe('thinking');
    expect(c.tts.texts).not.toContain('Are you still there?');
  });

  it("race: marks echoed after a barge-in (Twilio echoes the cleared audio's marks) do not finish the new reply", async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Hello?', { text: LONG });
    c.llm.answers.set('Stop, please.', { text: 'Sorry. Go ahead.' });
    await say(c, 'Hello?');
    await c.advance(300);
    const before = c.io.marks.length;
    await say(c, 'Stop, please.');
    c.hear(before); // the stale echoes arrive
    await c.advance(1);
    expect(['thinking', 'speaking']).toContain(c.session.state);
    await playOut(c);
    expect(lines(c.workflows.transcript(c.callId)).at(-1)).toBe('agent: Sorry. Go ahead.');
  });

  it('screening: a leave_message call holds the greeting; the caller is transcribed, not answered; human → greeting', async () => {
    const c = await startFakeCall({ voicemailPolicy: 'leave_message', settings: { amdPollMs: 100 } });
    expect(c.session.state).toBe('screening');
    await say(c, 'Hello?');
    expect(c.session.state).toBe('screening');
    expect(c.llm.requests).toHaveLength(0);
    c.workflows.setAnsweredBy(c.callId, 'human');
    await c.advance(150);
    expect(c.session.state).toBe('greeting');
    await playOut(c);
    expect(lines(c.workflows.transcript(c.callId))).toEqual(['caller: Hello?', 'agent: Hello, this is Aina from Acme.']);
  });

  it('screening → leavingMessage on the beep; speech and keys do not interrupt it; played → ended voicemail_left', async () => {
    const c = await startFakeCall({
      voicemailPolicy: 'leave_message',
      agent: { voicemailMessage: 'Please call Acme back.' },
      settings: { amdPollMs: 100 },
    });
    c.workflows.setAnsweredBy(c.callId, 'machine_end_beep');
    await c.advance(150);
    expect(c.session.state).toBe('leavingMessage');
    await c.advance(20);
    await c.voice(100);
    c.stt.current.emit('partial', 'beep boop');
    c.stt.current.emit('final', 'Beep boop.', { offsetMs: 0, durationMs: 100 });
    c.session.dtmfDigit('5');
    expect(c.session.state).toBe('leavingMessage');
    await playOut(c);
    await c.advance(10);
    expect(c.workflows.ended(c.callId)?.reason).toBe('voicemail_left');
    expect(c.io.clears).toEqual([]);
    expect(lines(c.workflows.transcript(c.callId))).toEqual(['agent: Please call Acme back.']);
  });

  it('a fax verdict ends the call with nothing said', async () => {
    const c = await startFakeCall({ voicemailPolicy: 'leave_message', answeredBy: 'fax' });
    await c.advance(10);
    expect(c.session.state).toBe('ended');
    expect(c.workflows.ended(c.callId)?.reason).toBe('end_call');
    expect(c.tts.texts).toEqual([]);
  });

  it('a model failure → ending: the apology plays whatever the caller says, then ended error', async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.stream = async function* () {
      throw Object.assign(new Error('503 upstream'), { status: 503 });
    };
    await say(c, 'Hello?');
    await c.advance(20);
    expect(c.session.state).toBe('ending');
    await c.voice(100);
    c.stt.current.emit('partial', 'what happened');
    expect(c.session.state).toBe('ending');
    expect(c.io.clears).toEqual([]);
    await playOut(c);
    await c.advance(10);
    expect(c.workflows.ended(c.callId)).toMatchObject({ reason: 'error', detail: expect.stringContaining('503') });
  });

  it('race: events after the end (a late mark, a final, a key) are dropped', async () => {
    const c = await startFakeCall();
    await c.advance(30);
    c.session.stop();
    await c.advance(10);
    const n = c.signals().length;
    c.hear();
    c.stt.current.emit('final', 'Hello?', { offsetMs: 0, durationMs: 100 });
    c.session.dtmfDigit('1');
    await c.advance(2_000);
    expect(c.session.state).toBe('ended');
    expect(c.signals()).toHaveLength(n);
    expect(c.llm.requests).toHaveLength(0);
  });
});
