import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { encodeSpeech, ulawSilence } from '../../sim/audio';
import { startFakeGateway, startSimWithCallee, type FakeConn } from './fake-gateway';

/** The simulated Twilio's side of Media Streams against a fake gateway: wire format and playback. */

let gw: Awaited<ReturnType<typeof startFakeGateway>>;
let t: Awaited<ReturnType<typeof startSimWithCallee>>;

beforeAll(async () => {
  gw = await startFakeGateway();
  t = await startSimWithCallee({ scenario: { default: { kind: 'answer', afterMs: 0 } } });
});
afterAll(async () => {
  await t?.sim.close();
  await gw?.close();
});

async function call(to = '+60111111111', params?: Record<string, string>): Promise<{ sid: string; c: FakeConn }> {
  const next = gw.next();
  const sid = await t.dial(to, gw.url, params);
  return { sid, c: await next };
}

describe('simulated Twilio Media Streams client', () => {
  it('sends connected, start and 20 ms media frames with string counters, then stop on a REST hang-up', async () => {
    const began = Date.now();
    const { sid, c } = await call('+60111111111', { token: 'abc.def', campaign: 'c1' });
    await c.frames(25);
    const elapsed = Date.now() - began;
    await t.hangup(sid);
    await c.until(() => c.closed);
    await t.sim.waitForEnd(sid);

    const [first, second] = c.received;
    expect(first!.msg).toEqual({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    const start = second!.msg;
    expect(start).toEqual({
      event: 'start',
      sequenceNumber: '1',
      streamSid: expect.stringMatching(/^MZ[0-9a-f]{32}$/),
      start: {
        streamSid: start.streamSid,
        accountSid: t.sim.accountSid,
        callSid: sid,
        tracks: ['inbound'],
        customParameters: { token: 'abc.def', campaign: 'c1' },
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
    // Twilio signs the WebSocket handshake like a webhook (URL, no parameters).
    expect(c.headers['x-twilio-signature']).toBe(twilio.getExpectedTwilioSignature(t.sim.authToken, gw.url, {}));

    const media = c.events('media').map((r) => r.msg);
    expect(media.length).toBeGreaterThanOrEqual(25);
    media.forEach((m, i) => {
      expect(m).toEqual({
        event: 'media',
        sequenceNumber: String(i + 2),
        streamSid: start.streamSid,
        media: { track: 'inbound', chunk: String(i + 1), timestamp: String(i * 20), payload: expect.any(String) },
      });
      expect(Buffer.from(m.media.payload, 'base64')).toHaveLength(160);
    });
    // Real time, not as fast as possible: 25 frames are 500 ms of audio (loose bound; figures belong in a bench).
    expect(elapsed).toBeGreaterThanOrEqual(400);

    const stop = c.events('stop');
    expect(stop).toHaveLength(1);
    expect(stop[0]!.msg).toEqual({
      event: 'stop',
      sequenceNumber: String(media.length + 2),
      streamSid: start.streamSid,
      stop: { accountSid: t.sim.accountSid, callSid: sid },
    });
    expect(c.received.at(-1)!.msg.event).toBe('stop');
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.end).toMatchObject({ by: 'twilio', detail: 'rest', code: 1000 });
    expect(s.framesSent).toBe(media.length);
    expect(s.protocolErrors).toEqual([]);
    expect(t.sim.call(sid)!.status).toBe('completed');
  });

  it('echoes a mark only once the audio queued before it has played', async () => {
    const { sid, c } = await call();
    c.mark('empty'); // nothing queued: echoed at the next frame
    c.sendAudio(ulawSilence(1000).fill(0x55)); // 1 s of (loud) agent audio, in 80 ms chunks
    c.mark('after-1s');
    const sentAt = c.media;
    const echoes = await c.until(() => c.events('mark').length === 2 && c.events('mark'));
    expect(echoes.map((e) => e.msg.mark.name)).toEqual(['empty', 'after-1s']);
    // Long before the 50 frames of audio could have played (slack for frame bursts under load).
    expect(echoes[0]!.mediaBefore - sentAt).toBeLessThanOrEqual(15);
    // 50 frames of playback happen in lockstep with 50 caller frames.
    expect(echoes[1]!.mediaBefore - sentAt).toBeGreaterThanOrEqual(50);
    expect(echoes[1]!.mediaBefore - sentAt).toBeLessThanOrEqual(75);
    expect(echoes[1]!.msg).toEqual({
      event: 'mark',
      sequenceNumber: expect.stringMatching(/^\d+$/),
      streamSid: c.streamSid,
      mark: { name: 'after-1s' },
    });
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.marks.map((m) => ({ name: m.name, cleared: m.cleared }))).toEqual([
      { name: 'empty', cleared: false },
      { name: 'after-1s', cleared: false },
    ]);
    expect(s.marks[1]!.echoedMs! - s.marks[1]!.receivedMs).toBeGreaterThanOrEqual(940);
    expect(s.agentBytesPlayed).toBe(8000);
    await t.hangup(sid);
  });

  it('clear drops queued audio at once and echoes every pending mark', async () => {
    const { sid, c } = await call();
    c.sendAudio(encodeSpeech('This is a rather long sentence that will not be heard to the end.'));
    c.mark('m1');
    c.sendAudio(encodeSpeech('And a second one.'));
    c.mark('m2');
    await c.frames(30);
    const before = c.media;
    c.clear();
    const echoes = await c.until(() => c.events('mark').length === 2 && c.events('mark'));
    expect(echoes.map((e) => e.msg.mark.name)).toEqual(['m1', 'm2']);
    // At once: well before the seconds of audio still queued could have played (slack for bursts under load).
    for (const e of echoes) expect(e.mediaBefore - before).toBeLessThanOrEqual(15);
    await c.frames(40); // the utterance's end silence, so the callee closes it
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.clears).toHaveLength(1);
    expect(s.clears[0]!.marks).toEqual(['m1', 'm2']);
    expect(s.clears[0]!.droppedBytes).toBeGreaterThan(0);
    expect(s.agentBytesPlayed + s.clears[0]!.droppedBytes).toBe(s.agentBytesReceived);
    expect(s.marks.every((m) => m.cleared && m.echoedMs === s.clears[0]!.atMs)).toBe(true);
    // What the callee heard: the start of the first sentence, cut.
    expect(s.agent).toHaveLength(1);
    expect(s.agent[0]!.interrupted).toBe(true);
    expect(s.agent[0]!.text.length).toBeGreaterThan(3);
    expect('This is a rather long sentence that will not be heard to the end.'.startsWith(s.agent[0]!.text)).toBe(true);
    await t.hangup(sid);
  });

  it('decodes what the agent said, with start and end in media time', async () => {
    const { sid, c } = await call();
    await c.frames(5);
    c.sendAudio(encodeSpeech('Hello, this is Aina.'));
    const s = t.sim.mediaSessions.get(sid)!;
    await c.until(() => s.agent[0]?.endMs !== undefined);
    expect(s.agent).toEqual([
      { text: 'Hello, this is Aina.', startMs: expect.any(Number), endMs: expect.any(Number), interrupted: false },
    ]);
    expect(s.agent[0]!.endMs! - s.agent[0]!.startMs).toBeGreaterThan(1000);
    await t.hangup(sid);
  });

  it('records frames Twilio would ignore and keeps the stream up', async () => {
    const { sid, c } = await call();
    c.send('not json');
    c.send({ event: 'media', streamSid: 'MZwrong', media: { payload: 'AAAA' } });
    c.send({ event: 'media', streamSid: c.streamSid, media: {} });
    c.send({ event: 'mark', streamSid: c.streamSid, mark: {} });
    c.send({ event: 'dance', streamSid: c.streamSid });
    await c.frames(5);
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.protocolErrors.map((e) => e.error)).toEqual([
      'not JSON',
      'media: streamSid "MZwrong" is not this stream\'s',
      'media without payload',
      'mark without name',
      'unknown event "dance"',
    ]);
    expect(s.end).toBeUndefined();
    await t.hangup(sid);
  });

  it('ends the call when the gateway closes the stream, keeping its code and reason', async () => {
    const { sid, c } = await call();
    await c.frames(3);
    c.ws.close(1008, 'bad token');
    const ended = await t.sim.waitForEnd(sid);
    expect(ended.status).toBe('completed');
    expect(t.sim.mediaSessions.get(sid)!.end).toMatchObject({ by: 'gateway', code: 1008, reason: 'bad token' });
    expect(c.events('stop')).toHaveLength(0);
  });

  it('ends the call when the stream URL cannot be reached', async () => {
    const sid = await t.dial('+60111111112', 'ws://127.0.0.1:1/twilio/stream');
    const ended = await t.sim.waitForEnd(sid);
    expect(ended.status).toBe('completed');
    const s = t.sim.mediaSessions.get(sid)!;
    expect(s.connected).toBe(false);
    expect(s.end).toMatchObject({ by: 'error' });
  });
});
