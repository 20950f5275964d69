import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { ROUTES } from './routes';
import {
  expectClear4xx,
  expectLedgerUntouched,
  ledgerSnapshot,
  send,
  sendRaw,
  startHostileApi,
  type LedgerSnapshot,
} from './harness';

/** Sizes and framing: body limits, compression, nesting, broken HTTP. Each a clear 4xx, no crash. */
let h: Awaited<ReturnType<typeof startHostileApi>>;
let before: LedgerSnapshot;
const auth = () => ({ authorization: `Bearer ${h.fx.a.apiKey}` });
const contactCount = async () =>
  (await h.ctx.sql<{ n: number }[]>`select count(*)::int as n from contacts where campaign_id = ${h.fx.campaignId}`)[0]!.n;

beforeAll(async () => {
  h = await startHostileApi();
  before = await ledgerSnapshot(h.ctx, [h.fx.a.id, h.fx.b.id]);
});
afterAll(async () => {
  expect((await send(h.api.url, 'GET', '/healthz')).status).toBe(200);
  await expectLedgerUntouched(h.ctx, [h.fx.a.id, h.fx.b.id], before);
  await h.api.close();
});

describe('body size limits', () => {
  it('a JSON body over 1 MB is 413 payload_too_large; without a key it is 401 before the body is read', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(1_100_000) });
    const r = await send(h.api.url, 'POST', '/v1/campaigns', {
      headers: { ...auth(), 'content-type': 'application/json' },
      body,
    });
    expectClear4xx(r, 'json 1.1 MB');
    expect([r.status, r.body.error]).toEqual([413, 'payload_too_large']);
    const anon = await send(h.api.url, 'POST', '/v1/campaigns', { headers: { 'content-type': 'application/json' }, body });
    expect([anon.status, anon.body.error]).toEqual([401, 'unauthenticated']);
  });

  it('a gzip bomb (50 MB of JSON in 50 KB) is 413: the limit counts inflated bytes', async () => {
    const bomb = gzipSync(Buffer.from(`{"name":"${' '.repeat(50_000_000)}"}`));
    expect(bomb.length).toBeLessThan(100_000);
    const r = await send(h.api.url, 'POST', '/v1/campaigns', {
      headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: bomb,
    });
    expectClear4xx(r, 'gzip bomb');
    expect(r.status).toBe(413);
  });

  it('an unknown content encoding is 415; a corrupt gzip stream is 400', async () => {
    const r = await send(h.api.url, 'POST', '/v1/campaigns', {
      headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'x-zip' },
      body: '{}',
    });
    expectClear4xx(r, 'x-zip');
    expect(r.status).toBe(415);
    const bad = await send(h.api.url, 'POST', '/v1/campaigns', {
      headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: 'not gzip at all',
    });
    expectClear4xx(bad, 'corrupt gzip');
    expect(bad.status).toBe(400);
  });

  it("a CSV over 20 MB is 413; over 50,000 rows is 400 bad_csv (the JSON upload's limit), and nothing is inserted", async () => {
    const n0 = await contactCount();
    const huge = `phone\n${'+60123456789\n'.repeat(1_700_000)}`;
    const r = await send(h.api.url, 'POST', `/v1/campaigns/${h.fx.campaignId}/contacts`, {
      headers: { ...auth(), 'content-type': 'text/csv' },
      body: huge,
    });
    expectClear4xx(r, 'csv 22 MB');
    expect(r.status).toBe(413);
    const rows = Array.from({ length: 50_001 }, (_, i) => `+6012${String(1_000_000 + i)}`).join('\n');
    const many = await send(h.api.url, 'POST', `/v1/campaigns/${h.fx.campaignId}/contacts`, {
      headers: { ...auth(), 'content-type': 'text/csv' },
      body: `phone\n${rows}\n`,
    });
    expectClear4xx(many, 'csv 50,001 rows');
    expect([many.status, many.body.error]).toEqual([400, 'bad_csv']);
    expect(many.body.message).toMatch(/50000/);
    expect(await contactCount()).toBe(n0);
  });

  it('JSON nested a million levels deep is a 4xx, not a stack overflow', async () => {
    const deep = '['.repeat(500_000) + ']'.repeat(500_000);
    const r = await send(h.api.url, 'POST', `/v1/campaigns/${h.fx.campaignId}/contacts`, {
      headers: { ...auth(), 'content-type': 'application/json' },
      body: deep,
    });
    expectClear4xx(r, 'deep');
  });
});

describe('broken HTTP framing', () => {
  it('a body shorter than its Content-Length, then a hang-up, harms nothing', async () => {
    const raw = `POST /v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.fx.a.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":`;
    const { connect } = await import('node:net');
    const { hostname, port } = new URL(h.api.url);
    await new Promise<void>((resolve) => {
      const s = connect(Number(port), hostname, () => {
        s.write(raw);
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 100);
      });
      s.on('error', () => resolve());
    });
    expect((await send(h.api.url, 'GET', '/v1/credits', { headers: auth() })).status).toBe(200);
  });

  it('duplicated Authorization, Content-Type and Content-Length headers: a 4xx or a normal answer, never a 5xx', async () => {
    const cases = [
      `GET /v1/credits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ak_forged\r\nAuthorization: Bearer ${h.fx.a.apiKey}\r\nConnection: close\r\n\r\n`,
      `GET /v1/credits HTTP/1.1\r\nHost: x\r\nX-Api-Key: ak_forged\r\nX-Api-Key: ${h.fx.a.apiKey}\r\nConnection: close\r\n\r\n`,
      `POST /v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.fx.a.apiKey}\r\nContent-Type: text/plain\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      `POST /v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.fx.a.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}`,
      `POST /v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${h.fx.a.apiKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\nConnection: close\r\n\r\n0\r\n\r\n`,
      Buffer.concat([
        Buffer.from('GET /v1/credits HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '),
        Buffer.from([0xff, 0xfe, 0x80, 0x00]),
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]),
    ];
    for (const raw of cases) {
      const r = await sendRaw(h.api.url, raw);
      expect(r.status, r.text.slice(0, 300)).toBeGreaterThanOrEqual(200);
      expect(r.status, r.text.slice(0, 300)).toBeLessThan(500);
    }
    // the duplicate of a forged key never authenticates as the real one behind it
    const dup = await sendRaw(h.api.url, cases[0]!);
    expect(dup.status).toBe(401);
  });

  it('5,000 query parameters: a clear 4xx, never a 5xx', async () => {
    const q = Array.from({ length: 5_000 }, (_, i) => `p${i}=${i}`).join('&');
    const r = await send(h.api.url, 'GET', `/v1/credits/statement?${q}`, { headers: auth() });
    expectClear4xx(r, '5000 params');
  });
});

describe('metrics under invented paths', () => {
  it('300 distinct made-up paths and ids add no time series: route labels are the registered routes', async () => {
    for (let i = 0; i < 100; i++) {
      await send(h.api.url, 'GET', `/nope/${i}/+6012345${i}`);
      await send(h.api.url, 'GET', `/v1/calls/not-an-id-${i}`, { headers: auth() });
      await send(h.api.url, 'POST', `/v1/anything${i}`, { headers: auth() });
    }
    const text = (await send(h.api.url, 'GET', '/metrics')).text;
    const routes = new Set(
      [...text.matchAll(/aicall_http_request_duration_seconds_count\{[^}]*route="([^"]*)"/g)].map((m) => m[1]),
    );
    expect(routes.has('/v1/calls/:id')).toBe(true);
    expect(routes.has('(unmatched)')).toBe(true);
    const known = new Set([...ROUTES.map((r) => r.path), '(unmatched)']);
    expect([...routes].filter((r) => !known.has(r!))).toEqual([]);
    expect(text).not.toMatch(/6012345/);
  });
});
