import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGatewayHarness, lines, type GatewayHarness } from '../gateway/harness';

/**
 * A media gateway's drain (SIGTERM in media-gateway/server.ts): out of the load balancer first
 * (/healthz says draining while it still takes streams), then new streams refused with 503 (HAProxy
 * re-sends them elsewhere); a call that ends within the drain limit ends on its own, and a call
 * still live at the limit is ended through the session's shutdown with its transcript, usage and
 * mediaEnded signalled to its workflow.
 */
let h: GatewayHarness;
beforeAll(async () => {
  h = await startGatewayHarness({ script: () => ({ text: 'Sure.' }), settings: { defaultSilenceTimeoutSec: 60 } });
});
afterAll(async () => h?.close());

const until = async (what: string, ok: () => boolean, ms = 20_000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('media gateway drain', () => {
  it('leaves the balancer, refuses new streams, lets a call finish and ends the one past the limit with its transcript and usage', async () => {
    const short = h.call([{ say: 'Hello.' }, { hangup: true, after: { ms: 1_500 } }]);
    const long = h.call([{ say: 'Hello there.' }, { silence: { ms: 30_000 } }]);
    await until('both callers heard', () =>
      [short, long].every((c) => lines(h.workflows.transcript(c.callId)).some((l) => l.startsWith('caller:'))),
    );

    const health = async () => {
      const r = await fetch(`http://127.0.0.1:${h.gateway.port}/healthz`);
      return { status: r.status, body: await r.text() };
    };
    expect((await health()).status).toBe(200);
    const drained = h.gateway.drain({ healthDelayMs: 800, limitMs: 3_000, graceMs: 5_000 });
    // Draining: the balancer's check fails at once, while streams are still taken.
    const during = await health();
    expect(during.status).toBe(503);
    expect(during.body).toContain('draining');
    await new Promise((r) => setTimeout(r, 1_000));
    // After the health delay a new stream is refused before anything is read: 503, for HAProxy to retry elsewhere.
    const refused = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(h.gateway.url);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('a draining gateway accepted a new stream')));
      ws.on('error', () => {});
    });
    expect(refused).toBe(503);

    const r = await drained;
    expect(r).toEqual({ finished: 1, ended: 1 });
    // The short call ended on its own: the caller hung up.
    expect(h.workflows.ended(short.callId)?.reason).toBe('caller_hangup');
    // The long one was ended by the drain, cleanly: transcript, final usage and mediaEnded all signalled.
    const end = h.workflows.ended(long.callId)!;
    expect(end).toMatchObject({ reason: 'error', detail: expect.stringMatching(/shutting down/) });
    expect(lines(h.workflows.transcript(long.callId))).toContain('caller: Hello there.');
    const usage = h.workflows.lastUsage(long.callId)!;
    expect(usage.sttAudioMs).toBeGreaterThan(0);
    expect(usage.ttsCharacters).toBeGreaterThan(0);
    // The usage signal came before mediaEnded, so the workflow settles on the final usage.
    const names = h.workflows.signals.get(long.callId)!.map((s) => s.name);
    expect(names.lastIndexOf('mediaEnded')).toBeGreaterThan(names.lastIndexOf('usage'));
    await until("the long call's stream closed", () => long.stream.isOver);
    expect(h.gateway.sessions.size).toBe(0);
  }, 60_000);
});
