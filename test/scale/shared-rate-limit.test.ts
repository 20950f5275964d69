import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';

/**
 * With N API instances behind the balancer a key still gets one limit, not N: the bucket is in
 * Postgres (api/rate-limit.ts), so two instances of the real app on one database share it.
 */
let ctx: TestContext;
let apis: Awaited<ReturnType<typeof startTestApi>>[];
beforeAll(async () => {
  ctx = await testContext();
  // 0.2 token/s: the bucket cannot refill by a whole token while the test runs, even on a loaded machine.
  apis = await Promise.all([0, 1].map(() => startTestApi(ctx, { API_RATE_LIMIT_PER_SEC: 0.2, API_RATE_LIMIT_BURST: 4 })));
});
afterAll(() => Promise.all(apis.map((a) => a.close())));

describe('API rate limit across instances', () => {
  it('a key gets its burst once across two instances, then 429 on both; another key is unaffected', async () => {
    const key = (await createTestAccount(ctx.sql, { withKey: true })).apiKey!;
    const other = (await createTestAccount(ctx.sql, { withKey: true })).apiKey!;
    // Alternating instances, concurrently: a per-process bucket would let 8 through.
    const statuses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => apis[i % 2]!.call('GET', '/v1/credits', { key }).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 200).length, statuses.join(',')).toBe(4);
    expect(statuses.filter((s) => s === 429).length).toBe(6);
    for (const api of apis) {
      const r = await api.call('GET', '/v1/credits', { key });
      expect(r.status).toBe(429);
      expect(r.body).toMatchObject({ error: 'rate_limited' });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await apis[1]!.call('GET', '/v1/credits', { key: other })).status).toBe(200);
  });
});
