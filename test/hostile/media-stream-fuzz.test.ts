import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import WebSocket from 'ws';
import { mintMediaToken } from '../../lib/media-token';
import { startMediaGateway, type MediaGateway } from '../../media-gateway/gateway';
import type { SessionDeps } from '../../media-gateway/conversation/session';
import { MAX_FRAME_BYTES } from '../../media-gateway/stream/protocol';
import { testLogger } from '../helpers/env';
import { SECRET, baseAgent, lines, startGatewayHarness, type GatewayHarness } from '../gateway/harness';
import { FUZZ_RUNS } from './harness';
import { nastyString, nastyValue } from './arbitraries';

/**
 * The media WebSocket (/twilio/stream) under hostile clients: garbage frames, events out of order,
 * unknown calls, bad or expired tokens, oversize frames, clients that never start, never read or
 * never finish closing. Each such stream is closed with a code and a reason; a real call running
 * beside them on the same gateway finishes its conversation untouched.
 */
let h: GatewayHarness;
/** A second gateway with a short start timeout, for streams that never verify. Its session deps are never reached. */
let bare: MediaGateway;

beforeAll(async () => {
  h = await startGatewayHarness({
    script: () => ({ text: 'Noted.', toolCalls: [{ name: 'end_call', arguments: {} }] }),
    settings: { defaultSilenceTimeoutSec: 1 },
  });
  bare = await startMediaGateway({
    deps: {} as SessionDeps,
    mediaTokenSecret: SECRET,
    startTimeoutMs: 300,
    log: testLogger(),
  });
});
afterAll(async () => {
  await bare?.close(500);
  await h?.close();
});

interface Closed {
  code: number;
  reason: string;
  status?: number;
}

/** Sends the frames, then waits for the server to close the socket (or `waitMs`, then closes it). */
function stream(url: string, frames: (string | Buffer)[], opts: { waitMs?: number } = {}): Promise<Closed> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { maxPayload: 10 * 1024 * 1024 });
    let timer: NodeJS.Timeout | undefined;
    ws.on('unexpected-response', (_req, res) => resolve({ code: -1, reason: res.statusMessage ?? '', status: res.statusCode }));
    ws.on('open', () => {
      for (const f of frames) if (ws.readyState === ws.OPEN) ws.send(f, { binary: Buffer.isBuffer(f) });
      timer = setTimeout(() => ws.close(4000, 'test done'), opts.waitMs ?? 3_000);
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: reason.toString() });
    });
    ws.on('error', () => {});
  });
}

const startFrame = (callId: unknown, token: unknown, extra: object = {}) =>
  JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    streamSid: 'MZ' + 'a'.repeat(32),
    start: {
      streamSid: 'MZ' + 'a'.repeat(32),
      callSid: 'CA' + 'b'.repeat(32),
      tracks: ['inbound'],
      customParameters: { callId, token },
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      ...extra,
    },
  });
const connected = JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' });

const eventName = fc.constantFrom('connected', 'start', 'media', 'dtmf', 'mark', 'stop', 'clear', 'unknown', '', '__proto__');
/** A frame: not JSON, JSON of the wrong shape, or a known event with fields of the wrong type. */
const garbageFrame: fc.Arbitrary<string | Buffer> = fc.oneof(
  nastyString,
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        event: eventName,
        sequenceNumber: nastyValue,
        streamSid: nastyValue,
        media: nastyValue,
        start: nastyValue,
        mark: nastyValue,
        dtmf: nastyValue,
      },
      { requiredKeys: ['event'] },
    )
    .map((o) => JSON.stringify(o)),
  fc
    .record({
      event: fc.constant('media'),
      media: fc.record({
        track: fc.constantFrom('inbound', 'outbound'),
        payload: fc.oneof(nastyString, fc.base64String({ maxLength: 400 })),
      }),
    })
    .map((o) => JSON.stringify(o)),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
);

/** A close the server chose: a protocol code and a reason a person can read (or the client's own timeout close). */
function expectClosedWithReason(r: Closed, info: unknown) {
  const msg = `${JSON.stringify(info)?.slice(0, 300)} -> ${r.code} ${r.reason}`;
  expect(r.status, msg).toBeUndefined();
  if (r.code === 4000) return; // the server kept it open while tolerating what it got (unknown events, media before start)
  expect([1000, 1007, 1008, 1009], msg).toContain(r.code);
  if (r.code !== 1009) expect(r.reason.length, msg).toBeGreaterThan(0);
}

describe('media stream fuzz', () => {
  it('garbage frames before a verified start: the stream is closed with a reason (at the latest by the start timeout)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(garbageFrame, { minLength: 1, maxLength: 6 }), async (frames) => {
        const r = await stream(bare.url, frames, { waitMs: 15_000 });
        expectClosedWithReason(r, frames);
        expect(r.code, r.reason).not.toBe(4000); // the 300 ms start timeout always ends it
      }),
      { numRuns: FUZZ_RUNS, endOnFailure: true },
    );
    expect(bare.sessions.size).toBe(0);
  });

  it('bad, forged, expired or foreign tokens and bad callIds: 1008 with the reason, no session', async () => {
    const other = randomUUID();
    // Minted once: re-minting later in the run (a second on) gives another string for a token as valid.
    const validToken = mintMediaToken(SECRET, other, 600);
    const token = fc.oneof(
      nastyValue,
      fc.constant(validToken),
      fc.integer({ min: 1, max: 10_000 }).map((ago) => mintMediaToken(SECRET, other, 30, Date.now() - ago * 1000 - 31_000)),
      fc.constant(mintMediaToken('not-the-secret', other, 600)),
    );
    const callId = fc.oneof(fc.constant(other), fc.uuid(), nastyValue);
    await fc.assert(
      fc.asyncProperty(callId, token, async (c, t) => {
        const valid = c === other && t === validToken;
        fc.pre(!valid);
        const r = await stream(bare.url, [connected, startFrame(c, t)]);
        expectClosedWithReason(r, { c, t });
        // a token or callId of the wrong JSON type fails the frame schema (1007), a wrong value the check (1008)
        expect([1007, 1008]).toContain(r.code);
        expect(r.reason).toMatch(/media token|callId parameter|start\.customParameters/);
      }),
      { numRuns: FUZZ_RUNS, endOnFailure: true },
    );
    expect(bare.sessions.size).toBe(0);
  });

  it('oversize frames: above the frame limit 1009, an oversize media payload 1007', async () => {
    const big = await stream(bare.url, [`{"event":"media","media":{"payload":"${'A'.repeat(MAX_FRAME_BYTES + 10)}"}}`]);
    expect(big.code).toBe(1009);
    const payload = await stream(bare.url, [
      JSON.stringify({ event: 'media', media: { track: 'inbound', payload: 'A'.repeat(64_004) } }),
    ]);
    expectClosedWithReason(payload, 'payload 64 KB');
    expect(payload.code).toBe(1007);
  });

  it('after a verified start, garbage and events out of order end that call with a reason; a real call beside them is untouched', async () => {
    const good = h.call([{ say: 'Goodbye.' }]);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(garbageFrame, { minLength: 1, maxLength: 5 }), fc.boolean(), async (frames, stopFirst) => {
        const callId = randomUUID();
        h.workflows.views.set(callId, {
          callId,
          accountId: randomUUID(),
          status: 'in_progress',
          voicemailPolicy: 'hangup',
          agent: baseAgent(),
        });
        const pre = stopFirst ? [JSON.stringify({ event: 'stop' })] : [];
        const r = await stream(
          h.gateway.url,
          [connected, startFrame(callId, mintMediaToken(SECRET, callId, 600)), ...pre, ...frames],
          { waitMs: 2_000 },
        );
        expectClosedWithReason(r, frames);
        n++;
      }),
      { numRuns: Math.max(3, Math.round(FUZZ_RUNS / 2)), endOnFailure: true },
    );
    expect(n).toBeGreaterThan(0);
    const e = await h.waitEnded(good);
    expect(e.reason).toBe('end_call');
    expect(lines(h.workflows.transcript(good.callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Goodbye.',
      'agent: Noted.',
    ]);
  });

  it('a valid token for a call with no workflow is closed "unknown call" and signals nothing', async () => {
    for (let i = 0; i < 5; i++) {
      const id = randomUUID();
      const r = await stream(h.gateway.url, [connected, startFrame(id, mintMediaToken(SECRET, id, 600))]);
      expect([r.code, r.reason]).toEqual([1000, 'unknown call']);
      expect(h.workflows.of(id)).toEqual([]);
    }
  });
});

// The refusal comes from the call's media claim (here the fake port applying the workflow's rule);
// across two gateway instances and a real workflow: test/gateway/e2e.test.ts.
describe('a replayed media token', () => {
  it('cannot open a second stream for a call that is live: 1008, and the live call carries on untouched', async () => {
    const callId = randomUUID();
    const token = mintMediaToken(SECRET, callId, 600);
    const live = h.call([{ say: 'Goodbye.' }], { callId, token });
    await waitForSession(callId);
    const r = await stream(h.gateway.url, [connected, startFrame(callId, token)]);
    expect([r.code, r.reason]).toEqual([1008, 'call already streaming']);
    const e = await h.waitEnded(live);
    expect(e.reason).toBe('end_call');
    expect(h.workflows.of(callId).filter((s) => s.name === 'attachMedia')).toHaveLength(1);
    expect(lines(h.workflows.transcript(callId))).toEqual([
      'agent: Hello, this is Aina from Acme.',
      'caller: Goodbye.',
      'agent: Noted.',
    ]);
  });
});

async function waitForSession(callId: string) {
  for (let i = 0; i < 300; i++) {
    if ([...h.gateway.sessions].some((s) => s.callId === callId)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no session for ${callId}`);
}

describe('slow and silent clients', () => {
  it('a client that connects and never sends start is closed 1008 "no start event"', async () => {
    const r = await stream(bare.url, [], { waitMs: 5_000 });
    expect([r.code, r.reason]).toEqual([1008, 'no start event']);
  });

  it('a started client that then never speaks nor reads is ended by the silence timeout and its session freed', async () => {
    const callId = randomUUID();
    h.workflows.views.set(callId, {
      callId,
      accountId: randomUUID(),
      status: 'in_progress',
      voicemailPolicy: 'hangup',
      agent: baseAgent(),
    });
    const ws = new WebSocket(h.gateway.url);
    ws.on('error', () => {});
    await new Promise((r) => ws.once('open', r));
    ws.send(connected);
    ws.send(startFrame(callId, mintMediaToken(SECRET, callId, 600)));
    // stop reading: the agent's audio and, later, the close frame pile up unread (so only the
    // gateway's side can tell the stream ended)
    setTimeout(() => (ws as unknown as { _socket: { pause(): void } })._socket.pause(), 50);
    const live = () => [...h.gateway.sessions].some((s) => s.callId === callId);
    try {
      for (let i = 0; i < 900 && (!h.workflows.ended(callId) || live()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(h.workflows.ended(callId)?.reason).toBe('silence_timeout');
      expect(live()).toBe(false);
    } finally {
      ws.terminate();
    }
  }, 120_000);

  it('a client that never answers the closing handshake is cut off', async () => {
    const { hostname, port, pathname } = new URL(bare.url);
    const gotEnd = await new Promise<boolean>((resolve) => {
      const s = connect(Number(port), hostname, () => {
        s.write(
          `GET ${pathname} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
        // one masked text frame "x" (not JSON): the server sends a close frame, which we never answer
        s.write(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 'x'.charCodeAt(0) ^ 1]));
      });
      s.on('data', () => {}); // read, never reply
      s.on('close', () => resolve(true));
      s.on('error', () => resolve(true));
      setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 30_000).unref();
    });
    expect(gotEnd).toBe(true);
  });

  it('plain HTTP and other paths on the gateway port are 404, not an upgrade', async () => {
    const r = await stream(bare.url.replace('/twilio/stream', '/twilio/other'), []);
    expect(r.status).toBe(404);
  });
});
