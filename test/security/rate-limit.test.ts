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
    // concurrent, so the bucket barely refills (1 token/s) while they are served, even on a loaded machine
    const statuses = await Promise.all(
      Array.from(
        { length: 10 },
        async () => (await send(h.api.url, 'GET', '/v1/credits', { headers: { authorization: `Bearer ${k}` } })).status,
      ),
    );
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    const res = await fetch(`${h.api.url}/v1/credits`, { headers: { authorization: `Bearer ${k}` } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/retry/) });
    expect((await send(h.api.url, 'GET', '/v1/credits', { headers: { authorization: `Bearer ${other}` } })).status).toBe(200);
  });

  it('a throttled key sending a 1 MB body is 429, not 413: the limit is applied before the body is read', async () => {
    const k = (await createTestAccount(h.ctx.sql, { withKey: true })).apiKey!;
    // The bucket refills at 1 token/s, so on a loaded machine the POST may find a fresh token
    // (then it is 413, fairly); a few tries make sure one lands while the key is throttled.
    const seen: number[] = [];
    for (let i = 0; i < 5 && !seen.includes(429); i++) {
      await Promise.all(
        Array.from({ length: 8 }, () => send(h.api.url, 'GET', '/v1/credits', { headers: { authorization: `Bearer ${k}` } })),
      );
      const r = await send(h.api.url, 'POST', '/v1/campaigns', {
        headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
      });
      seen.push(r.status);
      if (r.status === 429) expect(r.body.error).toBe('rate_limited');
    }
    expect(seen.every((s) => s === 429 || s === 413)).toBe(true);
    expect(seen).toContain(429);
  });
});
