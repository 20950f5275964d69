import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';
import { testAgent } from '../campaign/harness';

/**
 * Idempotency-Key semantics on a creating POST (api/idempotency.ts), with campaigns as the example:
 * every creating route mounts the same middleware (test/contract/contract.test.ts replays each).
 */
let ctx: TestContext;
let api: Awaited<ReturnType<typeof startTestApi>>;
beforeAll(async () => {
  ctx = await testContext();
  api = await startTestApi(ctx, { API_RATE_LIMIT_PER_SEC: 1000, API_RATE_LIMIT_BURST: 1000 });
});
afterAll(() => api.close());

const body = (name = 'Idempotent') => ({ name, agent: testAgent, defaultRegion: 'US' });
const post = (key: string, idem: string, b: unknown = body()) =>
  api.call('POST', '/v1/campaigns', { key, body: b, headers: { 'idempotency-key': idem } });
const campaigns = async (accountId: string) =>
  (await ctx.sql<{ n: number }[]>`select count(*)::int as n from campaigns where account_id = ${accountId}`)[0]!.n;

describe('Idempotency-Key', () => {
  it('ten concurrent requests with one key create one campaign; each gets its answer, a replay or 409 in progress', async () => {
    const a = await createTestAccount(ctx.sql, { withKey: true });
    const k = randomUUID();
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(a.apiKey!, k)));
    expect(await campaigns(a.id)).toBe(1);
    const created = answers.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.body.campaign.id)).size).toBe(1);
    for (const r of answers.filter((x) => x.status !== 201)) {
      expect([r.status, r.body.error, r.headers.get('retry-after')]).toEqual([409, 'idempotency_in_progress', '1']);
    }
    const later = await post(a.apiKey!, k);
    expect([later.status, later.headers.get('idempotent-replayed')]).toEqual([201, 'true']);
    expect(later.body).toEqual(created[0]!.body);
  });

  it("is per account: another account's same key creates its own campaign", async () => {
    const [a, b] = [await createTestAccount(ctx.sql, { withKey: true }), await createTestAccount(ctx.sql, { withKey: true })];
    const k = randomUUID();
    const [ra, rb] = [await post(a.apiKey!, k), await post(b.apiKey!, k)];
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect(ra.body.campaign.id).not.toBe(rb.body.campaign.id);
    expect(rb.headers.get('idempotent-replayed')).toBeNull();
  });

  it('a failed request forgets the key: the corrected request under the same key runs', async () => {
    const a = await createTestAccount(ctx.sql, { withKey: true });
    const k = randomUUID();
    expect((await post(a.apiKey!, k, body(''))).status).toBe(400);
    const fixed = await post(a.apiKey!, k, body('Fixed'));
    expect([fixed.status, fixed.headers.get('idempotent-replayed')]).toEqual([201, null]);
    expect((await post(a.apiKey!, k, body('Other'))).status).toBe(422);
  });

  it('a request that died mid-way holds its key for the lease, then a retry runs again and finds what it had created', async () => {
    const a = await createTestAccount(ctx.sql, { withKey: true });
    const k = randomUUID();
    const first = await post(a.apiKey!, k);
    // as if the process had died after creating the campaign and before storing the answer
    await ctx.sql`update idempotency_keys set state = 'running', status = null, body = null, locked_until = now() + interval '1 minute' where scope = ${a.id} and key = ${k}`;
    const held = await post(a.apiKey!, k);
    expect([held.status, held.body.error]).toEqual([409, 'idempotency_in_progress']);
    await ctx.sql`update idempotency_keys set locked_until = now() - interval '1 second' where scope = ${a.id} and key = ${k}`;
    const retried = await post(a.apiKey!, k);
    expect(retried.status).toBe(201);
    expect(retried.body.campaign.id, 'the id derives from the key, so the re-run finds the first campaign').toBe(
      first.body.campaign.id,
    );
    expect(await campaigns(a.id)).toBe(1);
    expect((await post(a.apiKey!, k)).headers.get('idempotent-replayed')).toBe('true');
  });

  it('the answer is kept in Postgres for 24 hours; an older key may be used again', async () => {
    const a = await createTestAccount(ctx.sql, { withKey: true });
    const k = randomUUID();
    await post(a.apiKey!, k);
    const [row] = await ctx.sql`select state, status, method, path from idempotency_keys where scope = ${a.id} and key = ${k}`;
    expect(row).toEqual({ state: 'done', status: 201, method: 'POST', path: '/v1/campaigns' });
    await ctx.sql`update idempotency_keys set created_at = now() - interval '25 hours' where scope = ${a.id} and key = ${k}`;
    const reused = await post(a.apiKey!, k, body('Next day'));
    expect([reused.status, reused.body.campaign.name]).toEqual([201, 'Next day']);
  });

  it('a key longer than 255 characters is 400', async () => {
    const a = await createTestAccount(ctx.sql, { withKey: true });
    const res = await post(a.apiKey!, 'k'.repeat(256));
    expect([res.status, res.body.message]).toEqual([400, 'Idempotency-Key: 1 to 255 characters']);
  });
});
