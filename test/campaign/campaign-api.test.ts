import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCallHarness, testNumber, type CallHarness } from '../call/harness';
import { createTestAccount } from '../helpers/accounts';
import { startTestApi } from '../helpers/api';
import { testLogger, withWorker } from '../helpers/env';
import { createCampaignActivities } from '../../activities/campaign';
import { testAgent } from './harness';

let h: CallHarness;
let api: Awaited<ReturnType<typeof startTestApi>>;
beforeAll(async () => {
  h = await startCallHarness({ credit: 20_000_000 });
  api = await startTestApi(h.ctx, h.config);
});
afterAll(async () => {
  await api.close();
  await h.close();
});

const newCampaign = (over: Record<string, unknown> = {}) => ({
  name: 'Renewals',
  agent: testAgent,
  settings: { maxConcurrentCalls: 2 },
  ...over,
});

describe('campaign API', () => {
  it('creates a campaign, normalises numbers to E.164 and reports duplicates and invalid rows by line', async () => {
    const a = await createTestAccount(h.ctx.sql, { withKey: true });
    const res = await api.call('POST', '/v1/campaigns', {
      key: a.apiKey,
      body: newCampaign({
        defaultRegion: 'MY',
        contacts: [
          { phone: '012-345 6789', name: 'Aminah' },
          { phone: '+60123456789' },
          { phone: 'call me maybe' },
          { phone: '+1 415 555 0100' },
          { phone: '123' },
          { phone: '' },
        ],
      }),
    });
    expect(res.status).toBe(201);
    expect(res.body.campaign).toMatchObject({ name: 'Renewals', status: 'draft', contactCount: 2 });
    expect(res.body.contacts.accepted).toBe(2);
    expect(res.body.contacts.duplicates).toEqual([{ line: 2, phone: '+60123456789', duplicateOfLine: 1 }]);
    expect(res.body.contacts.invalid.map((i: { line: number }) => i.line)).toEqual([3, 5, 6]);
    expect(res.body.contacts.invalid.every((i: { reason: string }) => i.reason.length > 0)).toBe(true);
    const rows = await h.ctx
      .sql`select phone_e164, name, seq from contacts where campaign_id = ${res.body.campaign.id} order by seq`;
    expect(rows.map((r) => [r.phone_e164, r.name, r.seq])).toEqual([
      ['+60123456789', 'Aminah', 1],
      ['+14155550100', null, 2],
    ]);
  });

  it('takes contacts as CSV, with variables, reporting bad rows by line', async () => {
    const a = await createTestAccount(h.ctx.sql, { withKey: true });
    const c = (await api.call('POST', '/v1/campaigns', { key: a.apiKey, body: newCampaign() })).body.campaign;
    const csv = 'Phone,Name,Plan\n0123456789,Ali,gold\nnot-a-number,Bob,silver\n+60123456789,Dup,gold\n019-876 5432,Siti,\n';
    const res = await api.call('POST', `/v1/campaigns/${c.id}/contacts`, {
      key: a.apiKey,
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.status).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.invalid).toEqual([expect.objectContaining({ line: 3, phone: 'not-a-number' })]);
    expect(res.body.duplicates).toEqual([{ line: 4, phone: '+60123456789', duplicateOfLine: 2 }]);
    const [ali] = await h.ctx.sql`select variables from contacts where campaign_id = ${c.id} and name = 'Ali'`;
    expect(ali!.variables).toEqual({ plan: 'gold' });
    // a second upload of the same numbers: all duplicates of what the campaign already has
    const again = await api.call('POST', `/v1/campaigns/${c.id}/contacts`, {
      key: a.apiKey,
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(again.body.accepted).toBe(0);
    expect(again.body.duplicates.filter((d: { duplicateOfLine: number | null }) => d.duplicateOfLine === null)).toHaveLength(2);
    const bad = await api.call('POST', `/v1/campaigns/${c.id}/contacts`, {
      key: a.apiKey,
      body: 'name,email\nx,y\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/phone column/);
  });

  it('rejects bad input with the field and the reason', async () => {
    const a = await createTestAccount(h.ctx.sql, { withKey: true });
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: '' }, /name/],
      [{ agent: { ...testAgent, language: 'malay' } }, /agent\.language/],
      [{ settings: { maxConcurrentCalls: 0 } }, /settings\.maxConcurrentCalls/],
      [{ settings: { callingWindow: { timeZone: 'Mars/Olympus', start: '09:00', end: '18:00', weekdays: [1] } } }, /timeZone/],
      [{ settings: { callingWindow: { timeZone: 'Asia/Kuala_Lumpur', start: '18:00', end: '09:00', weekdays: [1] } } }, /end/],
      [{ settings: { voicemailPolicy: 'leave_message' } }, /agent\.voicemailMessage/],
      [{ accountId: '00000000-0000-4000-8000-000000000000' }, /accountId|Unrecognized/i],
    ];
    for (const [over, field] of cases) {
      const res = await api.call('POST', '/v1/campaigns', { key: a.apiKey, body: newCampaign(over) });
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(res.body.message).toMatch(field);
    }
  });

  it("keeps tenants apart: another account's campaign and calls are 404", async () => {
    const a = await createTestAccount(h.ctx.sql, { withKey: true });
    const b = await createTestAccount(h.ctx.sql, { withKey: true });
    const c = (
      await api.call('POST', '/v1/campaigns', { key: a.apiKey, body: newCampaign({ contacts: [{ phone: '+60123456789' }] }) })
    ).body.campaign;
    for (const [method, path] of [
      ['GET', ''],
      ['POST', '/start'],
      ['POST', '/pause'],
      ['POST', '/resume'],
      ['POST', '/cancel'],
      ['GET', '/calls'],
    ] as const) {
      expect(
        (await api.call(method, `/v1/campaigns/${c.id}${path}`, { key: b.apiKey, body: method === 'POST' ? {} : undefined }))
          .status,
        path,
      ).toBe(404);
    }
    expect(
      (
        await api.call('POST', `/v1/campaigns/${c.id}/contacts`, {
          key: b.apiKey,
          body: { contacts: [{ phone: '+60123456780' }] },
        })
      ).status,
    ).toBe(404);
    expect((await api.call('GET', '/v1/campaigns', { key: b.apiKey })).body.campaigns).toEqual([]);
    expect((await api.call('GET', `/v1/campaigns/${c.id}`, { key: a.apiKey })).status).toBe(200);
    expect((await api.call('POST', `/v1/campaigns/${c.id}/pause`, { key: a.apiKey, body: {} })).status).toBe(409);
  });

  it('serves an OpenAPI document generated from the request schemas', async () => {
    const res = await fetch(`${api.url}/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, any> };
    expect(doc.openapi).toBe('3.1.0');
    const create = doc.paths['/v1/campaigns'].post.requestBody.content['application/json'].schema;
    expect(create.required).toEqual(expect.arrayContaining(['name', 'agent']));
    expect(create.properties.agent.properties.language.pattern).toBeDefined();
  });

  it('runs a campaign end to end through the API: start, progress, calls with cost breakdown', async () => {
    const a = await createTestAccount(h.ctx.sql, { withKey: true });
    await h.ctx.sql`insert into ledger_balances (account_id, available) values (${a.id}, 0) on conflict do nothing`;
    const { createLedger } = await import('../../lib/ledger');
    await createLedger(h.ctx.sql).credit({ accountId: a.id, amount: 10_000_000, key: `seed/${a.id}`, reason: 'test' });
    const phones = [testNumber(), testNumber(), testNumber()];
    h.sim.scenario.numbers ??= {};
    for (const p of phones) h.sim.scenario.numbers[p] = { kind: 'answer', afterMs: 50, hangupAfterMs: 1_100 };
    await withWorker(
      {
        activities: {
          ...h.activities,
          ...createCampaignActivities({ sql: h.ctx.sql, log: testLogger(), temporal: h.ctx.client }),
        },
      },
      async (tq) => {
        const local = await startTestApi(h.ctx, { ...h.config, ORCHESTRATION_TASK_QUEUE: tq, DIALER_TASK_QUEUE: tq });
        try {
          const c = (
            await local.call('POST', '/v1/campaigns', {
              key: a.apiKey,
              body: newCampaign({
                defaultRegion: 'US',
                contacts: phones.map((phone) => ({ phone })),
                settings: { maxConcurrentCalls: 2, ringTimeoutSec: 5 },
              }),
            })
          ).body.campaign;
          expect((await local.call('POST', `/v1/campaigns/${c.id}/start`, { key: a.apiKey })).status).toBe(202);
          const deadline = Date.now() + 40_000;
          let view;
          do {
            await new Promise((r) => setTimeout(r, 250));
            view = (await local.call('GET', `/v1/campaigns/${c.id}`, { key: a.apiKey })).body;
          } while (view.status !== 'completed' && Date.now() < deadline);
          expect(view.status).toBe('completed');
          expect(view.progress.contacts).toEqual({ done: 3 });
          expect(view.progress.calls).toEqual({ completed: 3 });
          expect(view.spend.chargedMicro).toBeGreaterThan(0);
          const calls = (await local.call('GET', `/v1/campaigns/${c.id}/calls?limit=2`, { key: a.apiKey })).body;
          expect(calls.calls).toHaveLength(2);
          const rest = (
            await local.call('GET', `/v1/campaigns/${c.id}/calls?limit=2&cursor=${calls.nextCursor}`, { key: a.apiKey })
          ).body;
          expect(rest.calls, JSON.stringify({ calls, rest })).toHaveLength(1);
          expect(rest.nextCursor).toBeNull();
          const one = (await local.call('GET', `/v1/calls/${calls.calls[0].id}`, { key: a.apiKey })).body;
          expect(one.status).toBe('completed');
          expect(one.providerCallSid).toMatch(/^CA[0-9a-f]{32}$/);
          expect(one.cost.chargedAmount).toBe(one.cost.totalProviderCost + one.cost.profitMargin);
          expect(one.cost.priceListVersion).toMatch(/^pl_/);
          const other = await createTestAccount(h.ctx.sql, { withKey: true });
          expect((await local.call('GET', `/v1/calls/${calls.calls[0].id}`, { key: other.apiKey })).status).toBe(404);
          expect((await local.call('POST', `/v1/campaigns/${c.id}/resume`, { key: a.apiKey })).status).toBe(409);
        } finally {
          await local.close();
        }
      },
    );
  });
});
