import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageMeter } from '../../media-gateway/conversation/usage';
import { asksNotToBeCalled, isOptOutKey } from '../../media-gateway/conversation/controllers/opt-out';
import { OPT_OUT_OUTCOME } from '../../workflows/call/contract';
import { lines } from './harness';
import { startFakeCall, useFakeClock, type FakeCall } from './fakes';

/**
 * The state machine at the end of a call and around money: heard = recorded = billed, opt-out,
 * cleaned vendor text. Fake STT / model / TTS and a fake clock, as in machine.test.ts.
 */

beforeEach(() => useFakeClock());
afterEach(() => vi.useRealTimers());

const SPEAKING = new Set(['greeting', 'thinking', 'speaking', 'leavingMessage', 'ending']);
async function playOut(c: FakeCall, maxMs = 10_000) {
  for (let t = 0; t < maxMs && SPEAKING.has(c.session.state); t += 50) {
    await c.advance(50);
    c.hear();
  }
}
async function say(c: FakeCall, text: string) {
  await c.voice(200);
  c.stt.current.emit('final', text, { offsetMs: 0, durationMs: 200 });
  await c.advance(1);
}

const LONG = 'Our new plan gives you unlimited calls and free data on weekends, and a new phone every year.';

describe('heard = recorded = billed', () => {
  it('a hang-up mid-reply saves the reply as an interrupted turn cut at the last confirmed mark, before usage and mediaEnded', async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Hello?', { text: LONG });
    await say(c, 'Hello?');
    await c.advance(300);
    c.hear(2);
    c.session.stop();
    await c.advance(10);
    const names = c.signals().map((s) => s.name);
    expect(names.slice(-3)).toEqual(['transcript', 'usage', 'mediaEnded']);
    const cut = c.workflows.transcript(c.callId).at(-1)!;
    expect(cut).toMatchObject({ role: 'agent', interrupted: true });
    expect(cut.text.length).toBeGreaterThan(0);
    expect(LONG.startsWith(cut.text)).toBe(true);
    expect(cut.text.length).toBeLessThan(LONG.length / 2);
    expect(c.workflows.ended(c.callId)?.reason).toBe('caller_hangup');
    // The characters sent to TTS are billed whether heard or not.
    expect(c.workflows.lastUsage(c.callId)!.ttsCharacters).toBeGreaterThan(LONG.length);
  });

  it('a socket closed mid-greeting with nothing confirmed saves an empty interrupted turn (nothing was heard)', async () => {
    const c = await startFakeCall();
    await c.advance(30);
    c.session.socketClosed(1006);
    await c.advance(10);
    expect(lines(c.workflows.transcript(c.callId))).toEqual(['agent(interrupted): ']);
    expect(c.workflows.ended(c.callId)?.reason).toBe('stream_closed');
  });

  it('TTS failing for good mid-reply: the call ends at once and the reply is saved as far as it was heard', async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Hello?', { text: 'The first part plays fine. The second part of this reply breaks.' });
    c.tts.failWhen = (t) => t.includes('breaks');
    await say(c, 'Hello?');
    await c.advance(60);
    c.hear(2);
    await c.advance(200);
    expect(c.session.state).toBe('ended');
    await c.advance(10);
    expect(c.workflows.ended(c.callId)).toMatchObject({ reason: 'error', detail: expect.stringContaining('elevenlabs') });
    const last = c.workflows.transcript(c.callId).at(-1)!;
    expect(last).toMatchObject({ role: 'agent', interrupted: true });
    expect(last.text.length).toBeGreaterThan(0);
    expect('The first part plays fine.'.startsWith(last.text)).toBe(true);
  });

  it("the tokens of a reply abandoned by the end of the call are counted and priced at the call's reported rate", async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Hello?', { text: 'Hi there, nice to meet you.', costMicro: 100 });
    c.llm.answers.set('Tell me more.', { text: LONG, stallAfter: 6 });
    await say(c, 'Hello?');
    await playOut(c);
    await c.advance(10); // usage signals are coalesced and sent off the audio path
    const before = c.workflows.lastUsage(c.callId)!;
    expect(before.llmReportedCostMicro).toBe(100);
    await say(c, 'Tell me more.');
    await c.advance(200);
    c.session.stop();
    await c.advance(50);
    const after = c.workflows.lastUsage(c.callId)!;
    expect(after.completionTokens).toBeGreaterThan(before.completionTokens);
    expect(after.promptTokens).toBeGreaterThan(before.promptTokens);
    // Priced at the vendor's rate so far (100 µ per reported round's tokens), never free.
    const estimated = after.promptTokens + after.completionTokens - (before.promptTokens + before.completionTokens);
    const rate = 100 / (before.promptTokens + before.completionTokens);
    expect(after.llmReportedCostMicro).toBe(100 + Math.ceil(estimated * rate));
  });

  it('the tokens of a reply abandoned by a barge-in are priced too', async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Hello?', { text: LONG, stallAfter: 8, costMicro: 999 });
    c.llm.answers.set('Stop.', { text: 'Sorry.', costMicro: 80 });
    await say(c, 'Hello?');
    await c.advance(300);
    await say(c, 'Stop.');
    await playOut(c);
    await c.advance(10);
    const u = c.workflows.lastUsage(c.callId)!;
    expect(u.llmReportedCostMicro).toBeGreaterThan(80);
  });
});

describe('usage meter', () => {
  it('an estimated round before any reported cost is priced once the first reported round gives the rate', () => {
    const m = new UsageMeter();
    m.estimateLlm([{ role: 'user', content: 'x'.repeat(396) }], 'y'.repeat(40));
    expect(m.snapshot().llmReportedCostMicro).toBeUndefined();
    expect(m.snapshot()).toMatchObject({ promptTokens: 103, completionTokens: 10 });
    m.addLlm(100, 13, 226);
    // 113 estimated tokens at 226 µ / 113 tokens.
    expect(m.snapshot().llmReportedCostMicro).toBe(226 + 226);
    m.estimateLlm([{ role: 'user', content: '' }], '');
    expect(m.snapshot().llmReportedCostMicro).toBe(226 + 226 + 8);
  });

  it('without any reported cost there is none: every token is priced at the price list rate', () => {
    const m = new UsageMeter();
    m.estimateLlm([{ role: 'user', content: 'hello' }], 'hi');
    expect(m.snapshot().llmReportedCostMicro).toBeUndefined();
  });
});

describe('opt-out', () => {
  it('recognises requests in English and Malay, and not the everyday phrases around them', () => {
    const yes = [
      "Don't call me again.",
      'Please do not call me again',
      'don’t ever call this number again',
      'Stop calling me!',
      'Take me off your list.',
      'Remove my number from your calling list',
      'Put me on your do not call list',
      'I want to opt out',
      'Jangan telefon saya lagi.',
      'Tolong jangan call saya lagi',
      'jangan hubungi saya lagi',
      'Jangan lah kacau saya lagi',
      'Berhenti telefon saya',
      'Buang nombor saya dari senarai',
      'Saya tak nak dihubungi lagi',
    ];
    const no = [
      'Call me again tomorrow',
      'Can you call me back next week?',
      "Don't call me now, I'm driving, call me later",
      'Jangan telefon saya sekarang, saya sibuk',
      'Telefon saya lagi esok',
      'I am not interested',
      'Stop. Wait.',
      'ok',
      '',
    ];
    for (const t of yes) expect(asksNotToBeCalled(t), t).toBe(true);
    for (const t of no) expect(asksNotToBeCalled(t), t).toBe(false);
  });

  it('the configured key, alone or with #, and only when configured', () => {
    expect(isOptOutKey('9', '9')).toBe(true);
    expect(isOptOutKey('9#', '9')).toBe(true);
    expect(isOptOutKey('19', '9')).toBe(false);
    expect(isOptOutKey('9', undefined)).toBe(false);
  });

  it('words while the agent talks: the reply stops, the outcome goes at once, the confirmation plays uninterrupted, the call ends', async () => {
    const c = await startFakeCall();
    await c.advance(30);
    c.hear(1);
    await say(c, 'Jangan telefon saya lagi.');
    expect(c.session.state).toBe('ending');
    expect(c.workflows.outcome(c.callId)).toMatchObject({
      result: OPT_OUT_OUTCOME,
      notes: expect.stringContaining('Jangan telefon saya lagi'),
    });
    await c.advance(20);
    await c.voice(100);
    c.stt.current.emit('partial', 'wait what');
    expect(c.session.state).toBe('ending');
    await playOut(c);
    await c.advance(10);
    expect(c.workflows.ended(c.callId)).toMatchObject({ reason: 'end_call', detail: OPT_OUT_OUTCOME });
    expect(c.llm.requests).toHaveLength(0);
    expect(lines(c.workflows.transcript(c.callId)).slice(-2)).toEqual([
      'caller: Jangan telefon saya lagi.',
      "agent: Understood, we won't call you again. Goodbye.",
    ]);
    expect(c.io.clears).toHaveLength(1);
  });

  it('a Malay campaign confirms in Malay', async () => {
    const c = await startFakeCall({ agent: { language: 'ms-MY' } });
    await playOut(c);
    await say(c, "Please don't call me again.");
    await playOut(c);
    expect(c.tts.texts.slice(-2).join(' ')).toBe('Baik, kami tidak akan menelefon anda lagi. Selamat tinggal.');
  });

  it('the configured key', async () => {
    const c = await startFakeCall({ settings: { optOutDigit: '9' } });
    await playOut(c);
    c.session.dtmfDigit('9');
    await c.advance(1_300);
    expect(c.session.state).toBe('ending');
    expect(c.workflows.outcome(c.callId)?.result).toBe(OPT_OUT_OUTCOME);
    await playOut(c);
    await c.advance(10);
    expect(c.workflows.ended(c.callId)?.detail).toBe(OPT_OUT_OUTCOME);
    expect(c.llm.requests).toHaveLength(0);
  });

  it("the model's opt_out tool: outcome at once, its confirmation plays uninterrupted, a later record_outcome does not replace it", async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.answers.set('Leave me alone forever.', {
      text: 'Of course, we will not call again. Goodbye.',
      tools: [
        { name: 'opt_out', arguments: {} },
        { name: 'record_outcome', arguments: { result: 'not_interested' } },
      ],
    });
    await say(c, 'Leave me alone forever.');
    await c.advance(200);
    expect(c.session.state).toBe('ending');
    expect(c.workflows.outcome(c.callId)?.result).toBe(OPT_OUT_OUTCOME);
    await c.voice(100);
    c.stt.current.emit('partial', 'bye now');
    expect(c.session.state).toBe('ending');
    await playOut(c);
    await c.advance(10);
    expect(c.workflows.outcome(c.callId)?.result).toBe(OPT_OUT_OUTCOME);
    expect(c.workflows.ended(c.callId)).toMatchObject({ reason: 'end_call', detail: OPT_OUT_OUTCOME });
    expect(lines(c.workflows.transcript(c.callId)).at(-1)).toBe('agent: Of course, we will not call again. Goodbye.');
  });

  it('asked over the apology (ending): honoured, though the apology plays on', async () => {
    const c = await startFakeCall();
    await playOut(c);
    c.llm.stream = async function* () {
      throw Object.assign(new Error('503 upstream'), { status: 503 });
    };
    await say(c, 'Hello?');
    await c.advance(20);
    expect(c.session.state).toBe('ending');
    await say(c, 'Stop calling me.');
    expect(c.workflows.outcome(c.callId)?.result).toBe(OPT_OUT_OUTCOME);
    await playOut(c);
    await c.advance(10);
    expect(c.workflows.ended(c.callId)?.reason).toBe('error');
  });
});

describe('vendor text is cleaned before it leaves the gateway', () => {
  it('STT text, model text and tool arguments lose NUL and lone surrogates, and are bounded', async () => {
    const c = await startFakeCall();
    await playOut(c);
    const dirty = 'Hel\u0000lo \ud800there';
    c.llm.answers.set('Hello there' + 'x'.repeat(5_000), {
      text: 'Fi\u0000ne \udc00thanks.',
      tools: [{ name: 'record_outcome', arguments: { result: 'interested', notes: 'no\u0000tes \ud83d' } }],
    });
    c.llm.fallback = {
      text: 'Fi\u0000ne \udc00thanks.',
      tools: [{ name: 'record_outcome', arguments: { result: 'interested', notes: 'no\u0000tes \ud83d' } }],
    };
    await say(c, dirty + 'x'.repeat(5_000));
    await playOut(c);
    const t = c.workflows.transcript(c.callId);
    const caller = t.find((x) => x.role === 'caller')!;
    expect(caller.text.startsWith('Hello \ufffdthere')).toBe(true);
    expect(caller.text.length).toBe(2_000);
    expect(t.at(-1)!.text).toBe('Fine \ufffdthanks.');
    expect(c.workflows.outcome(c.callId)).toEqual({ result: 'interested', notes: 'notes \ufffd' });
  });
});
