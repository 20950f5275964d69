import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testContext, type TestContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { startTestApi } from '../helpers/api';
import { isSuppressed, suppressOptOut, addSuppressions } from '../../lib/suppression';

// Malaysian mobile numbers unique to this run, so parallel test files never share one
let n = 0;
const base = 10_000_000 + (Date.now() % 80_000_000);
const mobile = () =>
  `+6012${String(base + n++)
    .padStart(7, '0')
    .slice(-7)}`;

describe('do-not-call', () => {
  let ctx: TestContext;
  let api: Awaited<ReturnType<typeof startTestApi>>;
  const adminKey = `admin-${randomUUID()}`;
  const account = async () => (await createTestAccount(ctx.sql, { withKey: true })) as { id: string; apiKey: string };

  beforeAll(async () => {
    ctx = await testContext();
    api = await startTestApi(ctx, { ADMIN_API_KEY: adminKey });
  });
  afterAll(async () => api?.close());

  it('adds numbers by API with a report by line, lists, shows and removes them', async () => {
    const a = await account();
    const [p1, p2] = [mobile(), mobile()];
    const add = await api.call('POST', '/v1/suppressions', {
      key: a.apiKey,
      body: {
        numbers: [
          { phone: p1, reason: 'asked by email' },
          { phone: p2.replace('+60', '0') },
          { phone: 'not a number' },
          { phone: p1 },
        ],
      },
    });
    expect(add.status, add.text).toBe(201);
    expect(add.body).toMatchObject({
      added: 2,
      alreadySuppressed: [],
      duplicates: [{ line: 4, duplicateOfLine: 1 }],
      invalid: [{ line: 3, reason: 'not a phone number' }],
    });
    const again = await api.call('POST', '/v1/suppressions', { key: a.apiKey, body: { numbers: [{ phone: p1 }] } });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ added: 0, alreadySuppressed: [{ line: 1, phone: p1 }] });

    const one = await api.call('GET', `/v1/suppressions/${encodeURIComponent(p1)}`, { key: a.apiKey });
    expect(one.body).toMatchObject({ phone: p1, source: 'manual', reason: 'asked by email', accountId: a.id });
    expect(Date.parse(one.body.createdAt)).toBeGreaterThan(0);

    const page1 = await api.call('GET', '/v1/suppressions?limit=1', { key: a.apiKey });
    expect(page1.body.suppressions).toHaveLength(1);
    const page2 = await api.call('GET', `/v1/suppressions?limit=1&cursor=${page1.body.nextCursor}`, { key: a.apiKey });
    expect(page2.status, page2.text).toBe(200);
    expect(page2.body.suppressions).toHaveLength(1);
    expect(new Set([page1.body.suppressions[0].phone, page2.body.suppressions[0].phone])).toEqual(new Set([p1, p2]));
    expect(page2.body.nextCursor).toBeNull();

    expect((await api.call('DELETE', `/v1/suppressions/${encodeURIComponent(p2)}`, { key: a.apiKey })).status).toBe(204);
    expect(await isSuppressed(ctx.sql, a.id, p2)).toBeNull();
    expect((await api.call('DELETE', `/v1/suppressions/${encodeURIComponent(p2)}`, { key: a.apiKey })).status).toBe(404);
    expect((await api.call('GET', '/v1/suppressions/garbage', { key: a.apiKey })).status).toBe(400);
  });

  it('imports a CSV with the reason per row and source import', async () => {
    const a = await account();
    const [p1, p2] = [mobile(), mobile()];
    const csv = `phone,reason\n${p1},complained\n\n${p2.replace('+60', '0')},\nnope,x\n`;
    const res = await api.call('POST', '/v1/suppressions', { key: a.apiKey, body: csv, headers: { 'content-type': 'text/csv' } });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ added: 2, invalid: [{ line: 5, phone: 'nope' }] });
    expect(await isSuppressed(ctx.sql, a.id, p1)).toMatchObject({ source: 'import', reason: 'complained' });
    expect(await isSuppressed(ctx.sql, a.id, p2)).toMatchObject({ source: 'import', reason: null });
    const bad = await api.call('POST', '/v1/suppressions', {
      key: a.apiKey,
      body: 'name\nAli\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/phone column/);
  });

  it('keeps lists apart per account; the platform list applies to every account and is for admins only', async () => {
    const [a, b] = [await account(), await account()];
    const p = mobile();
    await addSuppressions(ctx.sql, a.id, [{ phone: p }], 'manual');
    expect(await isSuppressed(ctx.sql, a.id, p)).toMatchObject({ accountId: a.id });
    expect(await isSuppressed(ctx.sql, b.id, p)).toBeNull();
    expect((await api.call('GET', `/v1/suppressions/${encodeURIComponent(p)}`, { key: b.apiKey })).status).toBe(404);

    const q = mobile();
    expect((await api.call('POST', '/v1/admin/suppressions', { key: a.apiKey, body: { numbers: [{ phone: q }] } })).status).toBe(
      403,
    );
    const platform = await api.call('POST', '/v1/admin/suppressions', {
      key: adminKey,
      body: { numbers: [{ phone: q, reason: 'regulator list' }] },
    });
    expect(platform.status, platform.text).toBe(201);
    expect(await isSuppressed(ctx.sql, a.id, q)).toMatchObject({ accountId: null, reason: 'regulator list' });
    expect(await isSuppressed(ctx.sql, b.id, q)).toMatchObject({ accountId: null });
    expect((await api.call('DELETE', `/v1/admin/suppressions/${encodeURIComponent(q)}`, { key: adminKey })).status).toBe(204);
    expect(await isSuppressed(ctx.sql, b.id, q)).toBeNull();
  });

  it('a callee opt-out is suppressed at once, is idempotent, and is removed only with force', async () => {
    const a = await account();
    const p = mobile();
    const callId = randomUUID();
    expect(await suppressOptOut(ctx.sql, { accountId: a.id, e164: p, callId })).toEqual({ added: true });
    expect(await suppressOptOut(ctx.sql, { accountId: a.id, e164: p, callId: randomUUID() })).toEqual({ added: false });
    expect(await isSuppressed(ctx.sql, a.id, p)).toMatchObject({ source: 'opt_out', callId });
    // a later manual add does not overwrite the opt-out
    await addSuppressions(ctx.sql, a.id, [{ phone: p, reason: 'dup' }], 'manual');
    expect(await isSuppressed(ctx.sql, a.id, p)).toMatchObject({ source: 'opt_out' });
    const refused = await api.call('DELETE', `/v1/suppressions/${encodeURIComponent(p)}`, { key: a.apiKey });
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/asked not to be called/);
    expect((await api.call('DELETE', `/v1/suppressions/${encodeURIComponent(p)}?force=true`, { key: a.apiKey })).status).toBe(
      204,
    );
  });

  it('dial-time checks racing an opt-out: every check that starts after the opt-out returns sees it, in any campaign', async () => {
    const a = await account();
    for (let round = 0; round < 5; round++) {
      const p = mobile();
      let optedOutAt = Infinity;
      const checks: Promise<{ startedAt: number; suppressed: boolean }>[] = [];
      const check = () => {
        const startedAt = performance.now();
        return isSuppressed(ctx.sql, a.id, p).then((s) => ({ startedAt, suppressed: s !== null }));
      };
      // dial-time checks of two campaigns' calls, an opt-out from one call, its retry, and an operator's manual add, all at once
      const racing = Promise.all([
        suppressOptOut(ctx.sql, { accountId: a.id, e164: p, callId: randomUUID() }).then((r) => {
          optedOutAt = Math.min(optedOutAt, performance.now());
          return r;
        }),
        suppressOptOut(ctx.sql, { accountId: a.id, e164: p, callId: randomUUID() }).then((r) => {
          optedOutAt = Math.min(optedOutAt, performance.now());
          return r;
        }),
        addSuppressions(ctx.sql, a.id, [{ phone: p }], 'manual'),
      ]);
      for (let i = 0; i < 20; i++) {
        checks.push(check());
        await new Promise((r) => setImmediate(r));
      }
      const [o1, o2, manual] = await racing;
      const after = await Promise.all(Array.from({ length: 5 }, check));
      const all = [...(await Promise.all(checks)), ...after];
      // exactly one of the three writers added the number; none failed on the unique index
      expect([o1.added, o2.added, manual.added.length === 1].filter(Boolean)).toHaveLength(1);
      const rows = await ctx.sql`select 1 from suppressions where account_id = ${a.id} and phone_e164 = ${p}`;
      expect(rows).toHaveLength(1);
      for (const c of all) if (c.startedAt > optedOutAt) expect(c.suppressed).toBe(true);
      expect(after.every((c) => c.suppressed)).toBe(true);
    }
  });

  it('the opt-out and check activities (for workflow code) do the same', async () => {
    const { createSuppressionActivities } = await import('../../activities/suppression');
    const { testLogger } = await import('../helpers/env');
    const acts = createSuppressionActivities({ sql: ctx.sql, log: testLogger() });
    const a = await account();
    const p = mobile();
    expect(await acts.suppressionCheck({ accountId: a.id, e164: p })).toBeNull();
    expect(await acts.suppressionOptOut({ accountId: a.id, e164: p, callId: randomUUID() })).toEqual({ added: true });
    expect(await acts.suppressionOptOut({ accountId: a.id, e164: p })).toEqual({ added: false });
    expect(await acts.suppressionCheck({ accountId: a.id, e164: p })).toMatchObject({ source: 'opt_out' });
  });

  it('a campaign upload reports which contacts are suppressed, by line', async () => {
    const a = await account();
    const [p1, p2, p3] = [mobile(), mobile(), mobile()];
    await suppressOptOut(ctx.sql, { accountId: a.id, e164: p2 });
    const agent = {
      systemPrompt: 'You are polite.',
      firstMessage: 'Hi, this is Aina from Acme, calling about your renewal.',
      language: 'en-US',
      voiceId: 'v',
      llmModel: 'm',
    };
    const created = await api.call('POST', '/v1/campaigns', {
      key: a.apiKey,
      body: { name: 'dnc', agent, contacts: [{ phone: p1 }, { phone: p2 }] },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body.contacts.suppressed).toEqual([{ line: 2, phone: p2, source: 'opt_out' }]);
    await addSuppressions(ctx.sql, a.id, [{ phone: p3 }], 'import');
    const up = await api.call('POST', `/v1/campaigns/${created.body.campaign.id}/contacts`, {
      key: a.apiKey,
      body: `phone,name\n${p3},Siti\n`,
      headers: { 'content-type': 'text/csv' },
    });
    expect(up.status, up.text).toBe(200);
    expect(up.body.suppressed).toEqual([{ line: 2, phone: p3, source: 'import' }]);
  });
});
