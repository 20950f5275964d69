import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { send, startHostileApi } from '../hostile/harness';
import { createTestAccount } from '../helpers/accounts';

/** Per-key token bucket (api/rate-limit.ts): burst, then 429 with Retry-After, per key, before any body is read. */
let h: Awaited<ReturnType<typeof startHostileApi>>;
beforeAll(async () => {
  h = await startHostileApi({ API_RATE_LIMIT_PER_SEC: 1, API_RATE_LIMIT_BURST: 3 });
});
afterAll(() => h.api.close());

describe('API rate limit', () => {
  it('a key past its burst gets 429 rate_limited with Retry-After; another key is unaffected', async () => {
    const k = (await createTestAccount(h.ctx.sql, { withKey: true })).apiKey!;
    const other = (await createTestAccount(h.ctx.sql, { withKey: true })).apiKey!;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(h.api.url, 'GET', '/v1/credits', { headers: { authorization: `Bearer ${k}` } })).status);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses.slice(3)).toEqual([429, 429]);
    const res = await fetch(`${h.api.url}/v1/credits`, { headers: { authorization: `Bearer ${k}` } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/retry/) });
    expect((await send(h.api.url, 'GET', '/v1/credits', { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
  });

  it('a throttled key sending a 1 MB body is 429, not 413: the limit is applied before the body is read', async () => {
    const k = (await createTestAccount(h.ctx.sql, { withKey: true })).apiKey!;
    for (let i = 0; i < 3; i++) await send(h.api.url, 'GET', '/v1/credits', { headers: { authorization: `Bearer ${k}` } });
    const r = await send(h.api.url, 'POST', '/v1/campaigns', { headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(1_100_000) }) });
    expect([r.status, r.body.error]).toEqual([429, 'rate_limited']);
  });
});
