import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSpeech, ULAW_SILENCE, ulawSilence } from '../../sim/audio';
import { PERSONAS, resolvePersona, type PersonaStep } from '../../sim/callee';
import { decodeWav } from '../../sim/callee/wav';
import { DEV_SCENARIO } from '../../sim/callee/dev-scenario';
import { behaviorFor } from '../../sim/twilio/scenario';
import { startFakeGateway, startSimWithCallee, toyAgent, type FakeConn } from './fake-gateway';

/** Personas drive what the simulated callee says and when, reacting to the agent's audio. */

let gw: Awaited<ReturnType<typeof startFakeGateway>>;
let t: Awaited<ReturnType<typeof startSimWithCallee>>;
let dir: string;
const numbers: Record<string, PersonaStep[] | string> = {};
let nextNumber = 60120000000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'callee-rec-'));
  gw = await startFakeGateway();
  t = await startSimWithCallee({ scenario: { default: { kind: 'answer', afterMs: 0 } }, callee: { recordingsDir: dir } });
});
afterAll(async () => {
  await t?.sim.close();
  await gw?.close();
  await rm(dir, { recursive: true, force: true });
});

/** A call to a fresh number whose callee follows `persona`. */
async function call(persona: PersonaStep[] | string): Promise<{ sid: string; c: FakeConn }> {
  const to = `+${nextNumber++}`;
  numbers[to] = persona;
  t.sim.scenario.numbers = Object.fromEntries(
    Object.entries(numbers).map(([n, p]) => [n, { kind: 'answer' as const, afterMs: 0, persona: p }]),
  );
  const next = gw.next();
  const sid = await t.dial(to, gw.url);
  return { sid, c: await next };
}

describe('persona-driven callee', () => {
  it('answers after the agent finishes, turn by turn, and hangs up when told', async () => {
    const { sid, c } = await call([{ say: 'Yes.' }, { say: 'Bye.' }, { hangup: true }]);
    const agent = toyAgent(c, { greeting: 'Hi, Sam?', replies: { 'Yes.': 'Great.', 'Bye.': 'Ok, bye.' } });
    const ended = await t.sim.waitForEnd(sid, 20_000);
    expect(ended.status).toBe('completed');
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.persona).toBe('inline');
    expect(agent.heard).toEqual([
      { text: 'Yes.', overAgent: false },
      { text: 'Bye.', overAgent: false },
    ]);
    expect(s.caller.map((u) => [u.kind, u.text, u.overAgent])).toEqual([
      ['say', 'Yes.', false],
      ['say', 'Bye.', false],
    ]);
    expect(s.agent.map((u) => [u.text, u.interrupted])).toEqual([
      ['Hi, Sam?', false],
      ['Great.', false],
      ['Ok, bye.', false],
    ]);
    // Each caller turn starts after the agent's turn before it ended.
    expect(s.caller[0]!.startMs).toBeGreaterThan(s.agent[0]!.endMs!);
    expect(s.caller[1]!.startMs).toBeGreaterThan(s.agent[1]!.endMs!);
    expect(s.end).toMatchObject({ by: 'callee', code: 1000 });
    expect(s.end!.atMs).toBeGreaterThan(s.agent[2]!.endMs!);
    await c.until(() => c.closed);
    expect(c.events('stop')).toHaveLength(1);
    expect(c.closed?.code).toBe(1000);
  });

  it('does not take a pause inside queued agent audio for the end of its turn', async () => {
    const { sid, c } = await call([{ say: 'Yes.' }, { hangup: true, after: { ms: 100 } }]);
    c.sendAudio(Buffer.concat([encodeSpeech('Hi.'), ulawSilence(900), encodeSpeech('Anyone there?')]));
    await t.sim.waitForEnd(sid, 20_000);
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.agent.map((u) => u.text)).toEqual(['Hi.', 'Anyone there?']);
    expect(s.caller[0]!.startMs).toBeGreaterThan(s.agent[1]!.endMs!);
  });

  it('interrupts the agent mid-utterance; the cleared utterance is marked interrupted', async () => {
    const { sid, c } = await call([
      { interrupt: 'Wait.', afterAgentMs: 400 },
      { hangup: true, after: { ms: 300 } },
    ]);
    const agent = toyAgent(c, { greeting: 'Hello there, I am calling about your account today.', bargeIn: true });
    await t.sim.waitForEnd(sid, 20_000);
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.caller).toHaveLength(1);
    expect(s.caller[0]).toMatchObject({ kind: 'interrupt', text: 'Wait.', overAgent: true });
    expect(s.caller[0]!.startMs - s.agent[0]!.startMs).toBeGreaterThanOrEqual(400);
    expect(s.caller[0]!.startMs - s.agent[0]!.startMs).toBeLessThan(600);
    expect(s.clears).toHaveLength(1);
    expect(s.agent[0]!.interrupted).toBe(true);
    expect(s.agent[0]!.text.length).toBeLessThan('Hello there, I am calling about your account today.'.length);
    expect(agent.heard[0]).toEqual({ text: 'Wait.', overAgent: true });
  });

  it('back-channels while the agent talks and then waits for it to finish', async () => {
    const { sid, c } = await call([
      { backchannel: 'Ok.', afterAgentMs: 300 },
      { say: 'Sure.' },
      { hangup: true, after: { ms: 100 } },
    ]);
    toyAgent(c, { greeting: 'So here is the offer for you.' });
    await t.sim.waitForEnd(sid, 20_000);
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.caller.map((u) => [u.kind, u.text, u.overAgent])).toEqual([
      ['backchannel', 'Ok.', true],
      ['say', 'Sure.', false],
    ]);
    expect(s.agent[0]).toMatchObject({ text: 'So here is the offer for you.', interrupted: false });
    expect(s.caller[1]!.startMs).toBeGreaterThan(s.agent[0]!.endMs!);
  });

  it('presses keys as Twilio dtmf events', async () => {
    const { sid, c } = await call([
      { dtmf: '1#', after: { ms: 100 } },
      { hangup: true, after: { ms: 100 } },
    ]);
    await t.sim.waitForEnd(sid, 10_000);
    await c.until(() => c.closed);
    const dtmf = c.events('dtmf').map((r) => r.msg);
    expect(dtmf).toEqual([
      {
        event: 'dtmf',
        sequenceNumber: expect.stringMatching(/^\d+$/),
        streamSid: c.streamSid,
        dtmf: { track: 'inbound_track', digit: '1' },
      },
      {
        event: 'dtmf',
        sequenceNumber: expect.stringMatching(/^\d+$/),
        streamSid: c.streamSid,
        dtmf: { track: 'inbound_track', digit: '#' },
      },
    ]);
    expect(Number(dtmf[1]!.sequenceNumber)).toBe(Number(dtmf[0]!.sequenceNumber) + 1);
    expect(t.sim.mediaSessions.get(sid)!.dtmf.map((d) => d.digit)).toEqual(['1', '#']);
  });

  it('stays silent for a silent persona until the call is hung up', async () => {
    const { sid, c } = await call('silent');
    toyAgent(c, { greeting: 'Hello?' });
    await c.frames(60);
    await t.hangup(sid);
    await t.sim.waitForEnd(sid);
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.persona).toBe('silent');
    expect(s.caller).toEqual([]);
    const payloads = c.events('media').map((r) => Buffer.from(r.msg.media.payload, 'base64'));
    expect(payloads.every((p) => p.every((b) => b === ULAW_SILENCE))).toBe(true);
    expect(s.agent.map((u) => u.text)).toEqual(['Hello?']);
  });

  it('writes a stereo 8 kHz WAV: caller left, agent right as played (cut at the clear), as long as the call', async () => {
    const { sid, c } = await call([
      { interrupt: 'No.', afterAgentMs: 500 },
      { hangup: true, after: { ms: 600 } },
    ]);
    toyAgent(c, { greeting: 'Good morning, this is a long greeting that gets cut.', bargeIn: true });
    await t.sim.waitForEnd(sid, 20_000);
    const s = t.sim.mediaSessions.get(sid)!;
    await s.done;
    expect(s.recordingPath).toBe(join(dir, `${sid}.wav`));
    const wav = decodeWav(await readFile(s.recordingPath!));
    expect(wav.sampleRate).toBe(8000);
    expect(wav.channels).toHaveLength(2);
    const [left, right] = wav.channels as [Int16Array, Int16Array];
    expect(left.length).toBe(s.framesSent * 160);
    expect(Math.abs(left.length / 8 - s.end!.atMs)).toBeLessThanOrEqual(20);
    const loud = (x: Int16Array, fromMs: number, toMs: number) => {
      let e = 0;
      for (let i = fromMs * 8; i < toMs * 8; i++) e = Math.max(e, Math.abs(x[i]!));
      return e > 1000;
    };
    const caller = s.caller[0]!;
    const agent = s.agent[0]!;
    expect(loud(left, caller.startMs, caller.endMs!)).toBe(true);
    expect(loud(left, 0, caller.startMs)).toBe(false);
    expect(loud(right, agent.startMs, agent.startMs + 400)).toBe(true);
    // After the clear the agent channel is silent: the rest of the greeting was never played.
    const clearMs = s.clears[0]!.atMs;
    expect(loud(right, clearMs + 40, left.length / 8)).toBe(false);
    expect(loud(right, clearMs - 200, clearMs)).toBe(true);
  });
});

describe('persona definitions', () => {
  it('resolves every named persona and rejects unknown names and malformed steps', () => {
    for (const name of Object.keys(PERSONAS)) expect(resolvePersona(name).name).toBe(name);
    expect(() => resolvePersona('chatty')).toThrow(/unknown persona "chatty"/);
    expect(() => resolvePersona([{ say: '' }])).toThrow(/step 0: say needs text/);
    expect(() => resolvePersona([{ dtmf: 'x' } as PersonaStep])).toThrow(/dtmf must be digits/);
    expect(() => resolvePersona([{ say: 'hi', after: 'later' } as unknown as PersonaStep])).toThrow(/after must be/);
    expect(resolvePersona(undefined)).toEqual({ name: 'none', steps: [] });
  });

  it('gives the dev and demo callees a mix by last digit, every persona resolvable, numbers still first', () => {
    const kinds = '0123456789'.split('').map((d) => {
      const b = behaviorFor(DEV_SCENARIO, `+6012345678${d}`);
      if (b.kind === 'answer') expect(resolvePersona(b.persona).name).toBe(b.persona);
      return b.kind === 'answer' ? b.persona : b.kind;
    });
    expect(kinds).toEqual([
      'interested',
      'not_interested',
      'callback',
      'interrupter',
      'silent',
      'hangs_up_early',
      'busy',
      'no-answer',
      'voicemail',
      'backchanneler',
    ]);
    expect(behaviorFor({ ...DEV_SCENARIO, numbers: { '+60123456780': { kind: 'busy' } } }, '+60123456780').kind).toBe('busy');
    expect(behaviorFor({ default: { kind: 'failed' } }, '+60123456780').kind).toBe('failed');
  });
});
