import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import twilio from 'twilio';
import { mintMediaToken } from '../../lib/media-token';
import { encodeSpeech } from '../../sim/audio';
import { freePort } from '../helpers/ports';
import { SECRET, startGatewayHarness, lines, type GatewayHarness } from './harness';

/**
 * The Media Streams endpoint itself: verification, Twilio's exact message shapes, and that bad
 * input closes only the stream it came on.
 */

let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ script: () => ({ text: 'Noted.', toolCalls: [{ name: 'end_call', arguments: {} }] }) });
});
afterAll(async () => {
  await h?.close();
});

interface Closed {
  code: number;
  reason: string;
  messages: any[];
}

/** A raw socket: sends `frames` (strings or objects) in order, resolves with the close code and reason. */
function raw(
  frames: (string | object | Buffer)[],
  opts: { url?: string; headers?: Record<string, string>; gapMs?: number } = {},
): Promise<Closed & { status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(opts.url ?? h.gateway.url, { headers: opts.headers });
    const messages: any[] = [];
    ws.on('unexpected-response', (_req, res) =>
      resolve({ code: -1, reason: res.statusMessage ?? '', messages, status: res.statusCode }),
    );
    ws.on('open', async () => {
      for (const f of frames) {
        ws.send(Buffer.isBuffer(f) ? f : typeof f === 'string' ? f : JSON.stringify(f), { binary: Buffer.isBuffer(f) });
        if (opts.gapMs) await new Promise((r) => setTimeout(r, opts.gapMs));
      }
    });
    ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), messages }));
    ws.on('error', () => {});
  });
}

const start = (callId: string, token: string, extra: object = {}) => ({
  event: 'start',
  sequenceNumber: '1',
  streamSid: 'MZ' + 'a'.repeat(32),
  start: {
    streamSid: 'MZ' + 'a'.repeat(32),
    accountSid: 'AC' + '0'.repeat(32),
    callSid: 'CA' + 'b'.repeat(32),
    tracks: ['inbound'],
    customParameters: { callId, token },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    ...extra,
  },
});
const connected = { event: 'connected', protocol: 'Call', version: '1.0.0' };

describe('media stream endpoint', () => {
  it('refuses a bad, expired or foreign token, and a start without a callId, each with its reason', async () => {
    const id = randomUUID();
    h.workflows.views.set(id, {
      callId: id,
      accountId: randomUUID(),
      status: 'in_progress',
      voicemailPolicy: 'hangup',
      agent: (await import('./harness')).baseAgent(),
    });
    const forged = await raw([connected, start(id, mintMediaToken('another-secret', id, 600))]);
    expect(forged).toMatchObject({ code: 1008, reason: 'media token bad_signature' });
    const foreign = await raw([connected, start(id, mintMediaToken(SECRET, randomUUID(), 600))]);
    expect(foreign).toMatchObject({ code: 1008, reason: 'media token bad_signature' });
    const expired = await raw([connected, start(id, mintMediaToken(SECRET, id, 30, Date.now() - 60_000))]);
    expect(expired).toMatchObject({ code: 1008, reason: 'media token expired' });
    const missing = await raw([connected, { ...start(id, 'x'), start: { ...start(id, 'x').start, customParameters: {} } }]);
    expect(missing).toMatchObject({ code: 1008, reason: 'start has no valid callId parameter' });
    // Nothing was signalled for a stream that never proved which call it was.
    expect(h.workflows.of(id)).toEqual([]);
  });

  it('closes a stream whose call has no workflow (unknown or finished), without signalling it', async () => {
    const id = randomUUID();
    const r = await raw([connected, start(id, mintMediaToken(SECRET, id, 600))]);
    expect(r).toMatchObject({ code: 1000, reason: 'unknown call' });
    const done = randomUUID();
    h.workflows.views.set(done, {
      callId: done,
      accountId: randomUUID(),
      status: 'completed',
      voicemailPolicy: 'hangup',
      agent: (await import('./harness')).baseAgent(),
    });
    const r2 = await raw([connected, start(done, mintMediaToken(SECRET, done, 600))]);
    expect(r2).toMatchObject({ code: 1000, reason: 'call over' });
  });

  it('closes only the offending stream on malformed input, with a reason; a call beside it is untouched', async () => {
    const good = h.call([{ say: 'Goodbye.' }]);
    const id = () => {
      const callId = randomUUID();
      h.workflows.views.set(callId, {
        callId,
        accountId: randomUUID(),
        status: 'in_progress',
        voicemailPolicy: 'hangup',
        agent: { ...h.workflows.views.values().next().value!.agent },
      });
      return callId;
    };
    const cases: [string, (callId: string) => (string | object | Buffer)[], number, RegExp][] = [
      [
        'not JSON',
        (c) => [connected, start(c, mintMediaToken(SECRET, c, 600)), '{"event":"media",'],
        1008,
        /malformed media stream|frame is not JSON/,
      ],
      [
        'bad base64 payload',
        (c) => [
          connected,
          start(c, mintMediaToken(SECRET, c, 600)),
          { event: 'media', sequenceNumber: '2', media: { track: 'inbound', chunk: '1', timestamp: '0', payload: '***' } },
        ],
        1008,
        /media.payload/,
      ],
      [
        'a media frame without payload',
        (c) => [
          connected,
          start(c, mintMediaToken(SECRET, c, 600)),
          { event: 'media', sequenceNumber: '2', media: { track: 'inbound', chunk: '1', timestamp: '0' } },
        ],
        1008,
        /media.payload/,
      ],
      [
        'a sequence number that is not a number',
        (c) => [
          connected,
          start(c, mintMediaToken(SECRET, c, 600)),
          { event: 'mark', sequenceNumber: 'two', mark: { name: 'x' } },
        ],
        1008,
        /sequenceNumber/,
      ],
      [
        'a second start',
        (c) => [connected, start(c, mintMediaToken(SECRET, c, 600)), start(c, mintMediaToken(SECRET, c, 600))],
        1008,
        /second start/,
      ],
      ['a binary frame', (c) => [connected, start(c, mintMediaToken(SECRET, c, 600)), Buffer.from([1, 2, 3])], 1008, /binary/],
      ['an array', () => [connected, '[1,2]'], 1007, /not a JSON object/],
      [
        'a start with no callSid',
        (c) => [connected, { ...start(c, 'x'), start: { customParameters: {} } }],
        1007,
        /start.callSid/,
      ],
    ];
    for (const [name, frames, code, reason] of cases) {
      const callId = id();
      const r = await raw(frames(callId), { gapMs: 30 });
      expect(r.code, name).toBe(code);
      expect(r.reason, name).toMatch(reason);
      // A stream that had started tells its workflow the call is over (the workflow hangs up).
      const ended = h.workflows.ended(callId);
      if (code === 1008 && !/token/.test(r.reason)) expect(ended?.reason, name).toBe('error');
    }
    const e = await h.waitEnded(good);
    expect(e.reason).toBe('end_call');
    expect(lines(h.workflows.transcript(good.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Goodbye.',
      'agent: Noted.',
    ]);
  });

  it('tolerates unknown events and fields, media before start and a stream that just sends stop', async () => {
    const callId = randomUUID();
    h.workflows.views.set(callId, {
      callId,
      accountId: randomUUID(),
      status: 'in_progress',
      voicemailPolicy: 'hangup',
      agent: (await import('./harness')).baseAgent(),
    });
    const speech = encodeSpeech('Hi');
    const frames: object[] = [
      { ...connected, brandNew: { x: 1 } },
      {
        event: 'media',
        sequenceNumber: '1',
        media: { track: 'inbound', chunk: '1', timestamp: '0', payload: Buffer.alloc(160, 0xff).toString('base64') },
      },
      start(callId, mintMediaToken(SECRET, callId, 600), { futureField: 'yes' }),
      { event: 'someday-event', sequenceNumber: '3', streamSid: 'MZ' },
      ...Array.from({ length: Math.ceil(speech.length / 160) }, (_, i) => ({
        event: 'media',
        sequenceNumber: String(4 + i),
        streamSid: 'MZ' + 'a'.repeat(32),
        media: {
          track: 'inbound',
          chunk: String(i + 1),
          timestamp: String(i * 20),
          payload: speech.subarray(i * 160, i * 160 + 160).toString('base64'),
          extra: true,
        },
      })),
      { event: 'mark', sequenceNumber: '900', streamSid: 'MZ', mark: { name: 'not-ours' } },
      { event: 'dtmf', sequenceNumber: '901', streamSid: 'MZ', dtmf: { track: 'inbound_track', digit: '5' } },
      { event: 'stop', sequenceNumber: '902', streamSid: 'MZ', stop: { accountSid: 'AC', callSid: 'CA' } },
    ];
    const r = await raw(frames, { gapMs: 2 });
    expect(r.code).toBe(1000);
    expect(r.reason).toBe('stopped');
    await new Promise((res) => setTimeout(res, 200));
    expect(h.workflows.ended(callId)?.reason).toBe('caller_hangup');
    expect(h.workflows.of(callId, 'attachMedia')[0]!.arg).toMatchObject({
      callSid: 'CA' + 'b'.repeat(32),
      streamSid: 'MZ' + 'a'.repeat(32),
    });
  });

  it('an attach whose outcome is unknown (Temporal unreachable) closes the stream, and its mediaEnded names the stream so only a holder ends the call', async () => {
    const callId = randomUUID();
    h.workflows.views.set(callId, {
      callId,
      accountId: randomUUID(),
      status: 'in_progress',
      voicemailPolicy: 'hangup',
      agent: (await import('./harness')).baseAgent(),
    });
    h.workflows.attachUnreachable.add(callId);
    const r = await raw([connected, start(callId, mintMediaToken(SECRET, callId, 600))]);
    expect(r).toMatchObject({ code: 1000, reason: 'agent unavailable' });
    await expect.poll(() => h.workflows.ended(callId)).toMatchObject({ reason: 'error', streamSid: 'MZ' + 'a'.repeat(32) });
    // Nothing ran: no greeting was synthesised, no audio metered.
    expect(h.workflows.lastUsage(callId)).toEqual({ sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 });
  });

  it('a stream that stops while its attach is in flight and is then refused signals nothing', async () => {
    const callId = randomUUID();
    h.workflows.views.set(callId, {
      callId,
      accountId: randomUUID(),
      status: 'in_progress',
      voicemailPolicy: 'hangup',
      agent: (await import('./harness')).baseAgent(),
    });
    h.workflows.claims.set(callId, { streamSid: 'MZlive', attachId: 'live' });
    h.workflows.attachDelayMs = 300;
    try {
      const r = await raw([
        connected,
        start(callId, mintMediaToken(SECRET, callId, 600)),
        { event: 'stop', sequenceNumber: '2', streamSid: 'MZ', stop: { accountSid: 'AC', callSid: 'CA' } },
      ]);
      expect(r).toMatchObject({ code: 1000, reason: 'stopped' });
      const session = [...h.gateway.sessions].find((s) => s.callId === callId);
      await session?.done;
      expect(h.workflows.of(callId)).toEqual([]);
    } finally {
      h.workflows.attachDelayMs = 0;
    }
  });

  it('checks X-Twilio-Signature on the handshake when configured', async () => {
    const signed = await startGatewayHarness({ twilioAuthToken: 'tw-secret', port: await freePort() });
    try {
      const url = `ws://127.0.0.1:${signed.gateway.port}/twilio/stream`;
      const unsigned = await raw([connected], { url });
      expect(unsigned).toMatchObject({ status: 403 });
      const wrong = await raw([connected], {
        url,
        headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature('other', 'ws://127.0.0.1/twilio/stream', {}) },
      });
      expect(wrong).toMatchObject({ status: 403 });
      // The simulated callee signs like Twilio: the call goes through.
      const call = signed.call([{ hangup: true, after: { ms: 300 } }], { authToken: 'tw-secret' });
      expect((await signed.waitEnded(call)).reason).toBe('caller_hangup');
      expect(signed.workflows.of(call.callId, 'attachMedia')).toHaveLength(1);
    } finally {
      await signed.close();
    }
  });
});
