import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyScript } from '../../sim/openrouter/server';
import { PERSONAS } from '../../sim/callee/persona';
import { amdVerdict } from '../../media-gateway/conversation/amd';
import { startGatewayHarness, lines, type GatewayHarness, type TestCall } from './harness';

/**
 * voicemailPolicy leave_message: the gateway holds its greeting while Twilio's AMD decides, polling
 * the workflow's `callAmd` query (here the fake port; the AMD callback is `setAnsweredBy`), then
 * greets a person or leaves the message on a machine after its beep. Hangup-policy calls never poll.
 * The real workflow and Twilio simulator path is in e2e.test.ts.
 */

const MESSAGE = 'Hi, Aina from Acme. Call us back.';
const script: ReplyScript = (messages) => {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  if (last.includes('interested')) {
    return {
      text: 'Wonderful.',
      toolCalls: [
        { name: 'record_outcome', arguments: { result: 'interested' } },
        { name: 'end_call', arguments: { goodbye: 'Goodbye.' } },
      ],
    };
  }
  return { text: 'We have a new plan for you.' };
};

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ script, settings: { amdPollMs: 100 } });
});
afterAll(async () => {
  await h?.close();
});

/** Waits until the caller's words are in the transcript: AMD's verdict comes after them, as at Twilio. */
async function callerSaid(call: TestCall, text: string) {
  await expect
    .poll(() => h.workflows.transcript(call.callId).some((t) => t.role === 'caller' && t.text === text), { timeout: 15_000 })
    .toBe(true);
}

const ttsCharsFor = (voiceId: string) =>
  h.elevenlabs.streams.filter((s) => s.voiceId === voiceId).reduce((n, s) => n + s.characters, 0);

describe('leave_message calls', () => {
  it('a machine: nothing is said over its greeting; after the beep verdict the message is left once, then voicemail_left', async () => {
    const greeting = (PERSONAS.voicemail_greeting[0] as { say: string }).say;
    const llmBefore = h.openrouter.requests.length;
    const call = h.call(PERSONAS.voicemail_greeting, {
      voicemailPolicy: 'leave_message',
      agent: { voiceId: 'voice-vm', voicemailMessage: MESSAGE },
    });
    await callerSaid(call, greeting);
    // Until AMD decides the agent is silent and the gateway keeps asking.
    expect(call.media.agent).toEqual([]);
    expect(h.workflows.queriesOf(call.callId).callAmd).toBeGreaterThan(0);
    h.workflows.setAnsweredBy(call.callId, 'machine_end_beep');

    const ended = await h.waitEnded(call);
    expect(ended.reason).toBe('voicemail_left');
    expect(lines(h.workflows.transcript(call.callId))).toEqual([`caller: ${greeting}`, `agent: ${MESSAGE}`]);
    // What the machine recorded, decoded from the audio: the message alone, after the beep verdict.
    expect(call.media.agent.map((u) => u.text)).toEqual([MESSAGE]);
    expect(call.media.agent[0]!.startMs).toBeGreaterThan(call.media.caller[0]!.endMs!);
    expect(call.media.end?.by).toBe('gateway');
    expect(h.openrouter.requests.length).toBe(llmBefore); // no model turn for a machine

    // Usage as ElevenLabs counts it, sent before mediaEnded (the workflow bills only that).
    const signals = h.workflows.of(call.callId).map((s) => s.name);
    expect(signals.lastIndexOf('usage')).toBeLessThan(signals.indexOf('mediaEnded'));
    const usage = h.workflows.lastUsage(call.callId)!;
    expect(usage.ttsCharacters).toBeGreaterThanOrEqual(MESSAGE.length);
    expect(usage.ttsCharacters).toBe(ttsCharsFor('voice-vm'));
    expect(usage.sttAudioMs).toBeGreaterThan(0);
    expect(h.workflows.queriesOf(call.callId).attachMedia).toBe(1);
  });

  it('a person: the greeting waits for the human verdict, then the call converses as usual and polling stops', async () => {
    const call = h.call([{ say: 'Hello?', after: { ms: 200 } }, { say: 'Yes, I am interested.' }], {
      voicemailPolicy: 'leave_message',
      agent: { voicemailMessage: MESSAGE },
    });
    await callerSaid(call, 'Hello?');
    expect(call.media.agent).toEqual([]);
    h.workflows.setAnsweredBy(call.callId, 'human');

    const ended = await h.waitEnded(call);
    expect(ended.reason).toBe('end_call');
    expect(lines(h.workflows.transcript(call.callId))).toEqual([
      'caller: Hello?',
      'agent: Hello, this is Aina from Acme.',
      'caller: Yes, I am interested.',
      'agent: Wonderful. Goodbye.',
    ]);
    expect(call.media.agent.map((u) => u.text)).toEqual(['Hello, this is Aina from Acme.', 'Wonderful. Goodbye.']);
    expect(h.workflows.outcome(call.callId)).toEqual({ result: 'interested' });
    // The verdict ended the polling: no query after it, however long the call went on.
    const asked = h.workflows.queriesOf(call.callId).callAmd;
    await new Promise((r) => setTimeout(r, 300));
    expect(h.workflows.queriesOf(call.callId).callAmd).toBe(asked);
  });

  it('a verdict already known at the stream start needs no polling; a fax gets no message', async () => {
    const machine = h.call([{ silence: true }], { voicemailPolicy: 'leave_message', agent: { voicemailMessage: MESSAGE } });
    const fax = h.call([{ silence: true }], { voicemailPolicy: 'leave_message', agent: { voicemailMessage: MESSAGE } });
    h.workflows.setAnsweredBy(machine.callId, 'machine_end_silence');
    h.workflows.setAnsweredBy(fax.callId, 'fax');
    expect((await h.waitEnded(machine)).reason).toBe('voicemail_left');
    expect(machine.media.agent.map((u) => u.text)).toEqual([MESSAGE]);
    expect((await h.waitEnded(fax)).reason).toBe('end_call');
    expect(fax.media.agent).toEqual([]);
    for (const c of [machine, fax]) expect(h.workflows.queriesOf(c.callId)).toEqual({ attachMedia: 1, callAmd: 0 });
  });
});

describe('hangup calls', () => {
  it('never poll: the greeting goes out at once and the only Temporal call is attachMedia', async () => {
    const call = h.call([{ hangup: true }], { voicemailPolicy: 'hangup', agent: { voicemailMessage: MESSAGE } });
    // Even with a machine verdict in the workflow: a hangup call is the workflow's to hang up.
    h.workflows.setAnsweredBy(call.callId, 'machine_start');
    const ended = await h.waitEnded(call);
    expect(ended.reason).toBe('caller_hangup');
    expect(lines(h.workflows.transcript(call.callId))[0]).toBe('agent: Hello, this is Aina from Acme.');
    expect(h.workflows.queriesOf(call.callId)).toEqual({ attachMedia: 1, callAmd: 0 });
  });
});

describe('amdVerdict', () => {
  it('maps Twilio AnsweredBy values', () => {
    expect([undefined, 'machine_start'].map(amdVerdict)).toEqual(['undecided', 'undecided']);
    expect(['machine_end_beep', 'machine_end_silence', 'machine_end_other'].map(amdVerdict)).toEqual([
      'machine',
      'machine',
      'machine',
    ]);
    expect(['human', 'unknown', 'fax'].map(amdVerdict)).toEqual(['human', 'human', 'fax']);
  });
});
