import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../api/app';
import { OPERATIONS } from '../../api/contract';
import { createActivities } from '../../activities';
import { dialerActivitiesFromConfig } from '../../activities/call';
import { createLedger } from '../../lib/ledger';
import { startBillplzSim, type BillplzSim } from '../../sim/billplz/server';
import { attachMediaUpdate, transcriptSignal, usageSignal } from '../../workflows/call/contract';
import { generated } from '../../scripts/contract';
import { startCallHarness, testNumber, type CallHarness } from '../call/harness';
import { testAgent } from '../campaign/harness';
import { startTestApi } from '../helpers/api';
import { testLogger, withWorker } from '../helpers/env';
import { registeredRoutes } from '../hostile/routes';
import { contractValidator } from './validator';
import { checkCampaignExtras, checkRecordings, checkSuppressions, checkWebhooks, type IntegrationChecks } from './integrations';

/**
 * The contract test: every /v1 route the app serves is in the contract, and every operation in the
 * contract is called live (against the run's Postgres and Temporal, with the Twilio and Billplz
 * simulators and a worker running the real workflows), each answer — 2xx and 4xx — validated
 * against the document the API serves at /openapi.json.
 */
const ADMIN_KEY = 'ak_admin_contract_test_key_only';
const toOpenApi = (p: string) => p.replace(/:(\w+)/g, '{$1}');

describe('contract inventory', () => {
  it('documents every /v1 route the app serves, and nothing it does not serve', async () => {
    const h = await startCallHarness();
    try {
      const app = createApp({ sql: h.ctx.sql, temporal: h.ctx.client, config: h.config, log: testLogger() });
      const served = registeredRoutes(app)
        .filter((r) => r.path.startsWith('/v1/'))
        .map((r) => `${r.method} ${toOpenApi(r.path)}`);
      const documented = OPERATIONS.map((o) => `${o.method.toUpperCase()} ${o.path}`);
      const undocumented = served.filter((r) => !documented.includes(r));
      expect(
        undocumented,
        `not in the contract — add an Operation for each to api/contract/<resource>.ts:\n${undocumented.join('\n')}`,
      ).toEqual([]);
      expect(
        documented.filter((d) => !served.includes(d)),
        'documented but not served',
      ).toEqual([]);
      expect(new Set(OPERATIONS.map((o) => o.operationId)).size).toBe(OPERATIONS.length);
    } finally {
      await h.close();
    }
  });

  it('the committed client/openapi.json and client/schema.ts are what the contract generates', async () => {
    const want = await generated();
    expect(await readFile('client/openapi.json', 'utf8'), 'run `npm run contract:generate` and commit').toBe(want.doc);
    expect(await readFile('client/schema.ts', 'utf8'), 'run `npm run contract:generate` and commit').toBe(want.types);
  });
});

describe('every operation answers as documented', () => {
  let h: CallHarness;
  let billplz: BillplzSim;
  beforeAll(async () => {
    h = await startCallHarness();
    billplz = await startBillplzSim();
  });
  afterAll(async () => {
    await billplz?.close();
    await h?.close();
  });

  it('2xx and 4xx answers of every operation match their schemas', async () => {
    const taskQueue = `contract-${randomUUID()}`;
    const recordingsDir = await mkdtemp(join(tmpdir(), 'contract-recordings-'));
    const config = {
      ...h.config,
      ADMIN_API_KEY: ADMIN_KEY,
      BILLPLZ_BASE_URL: billplz.url,
      ORCHESTRATION_TASK_QUEUE: taskQueue,
      DIALER_TASK_QUEUE: taskQueue,
      API_RATE_LIMIT_PER_SEC: 1000,
      API_RATE_LIMIT_BURST: 1000,
      // the webhook receiver is on loopback; recordings go to a directory of this run's own
      WEBHOOK_ALLOW_PRIVATE_URLS: true,
      RECORDINGS_DIR: recordingsDir,
    };
    const log = testLogger();
    const activities = {
      ...createActivities({ sql: h.ctx.sql, config, log, temporal: h.ctx.client }),
      ...dialerActivitiesFromConfig({ sql: h.ctx.sql, config, log }),
    };
    await withWorker({ taskQueue, activities }, async () => {
      const api = await startTestApi(h.ctx, config);
      const throttled = await startTestApi(h.ctx, { ...config, API_RATE_LIMIT_PER_SEC: 1, API_RATE_LIMIT_BURST: 1 });
      try {
        const doc = await (await fetch(`${api.url}/openapi.json`)).json();
        const v = contractValidator(doc);
        const problems: string[] = [];
        const seen = new Set<string>();
        const replayed = new Set<string>();
        type Opts = { key?: string; body?: unknown; headers?: Record<string, string> };
        const call = async (method: string, path: string, opts: Opts = {}, via = api) => {
          const res = await via.call(method, path, opts);
          const checked = v.check(method, path, res.status, res.headers.get('content-type'), res.body);
          problems.push(...checked.errors);
          if (checked.operationId) seen.add(`${checked.operationId} ${res.status}`);
          if (checked.operationId && res.headers.get('idempotent-replayed') === 'true') replayed.add(checked.operationId);
          return res;
        };
        /** Same key and body twice: the same answer; the same key with another body: 422. */
        const idempotent = async (
          path: string,
          key: string,
          body: unknown,
          other: unknown,
          headers: Record<string, string> = {},
        ) => {
          const k = randomUUID();
          const first = await call('POST', path, { key, body, headers: { ...headers, 'idempotency-key': k } });
          const again = await call('POST', path, { key, body, headers: { ...headers, 'idempotency-key': k } });
          expect(again.status, path).toBe(first.status);
          expect(again.headers.get('idempotent-replayed')).toBe('true');
          const reused = await call('POST', path, { key, body: other, headers: { ...headers, 'idempotency-key': k } });
          expect(reused.status, path).toBe(422);
          return { first, again };
        };
        const missing = randomUUID();

        // ── admin ──
        const acct = await idempotent(
          '/v1/admin/accounts',
          ADMIN_KEY,
          { name: 'Contract Co', billingEmail: 'billing@contract.example' },
          { name: 'Other Co' },
        );
        expect(acct.again.body).toEqual(acct.first.body);
        const accountId = acct.first.body.id as string;
        expect((await call('POST', '/v1/admin/accounts', { key: ADMIN_KEY, body: { name: '' } })).status).toBe(400);
        expect(
          (
            await call('POST', '/v1/admin/accounts', {
              key: ADMIN_KEY,
              body: null as never,
              headers: { 'content-type': 'application/json' },
            })
          ).status,
        ).toBe(400);
        expect((await call('GET', '/v1/admin/accounts?limit=2', { key: ADMIN_KEY })).status).toBe(200);
        expect((await call('GET', '/v1/admin/accounts?limit=0', { key: ADMIN_KEY })).status).toBe(400);
        const issued = await idempotent(
          `/v1/admin/accounts/${accountId}/keys`,
          ADMIN_KEY,
          { label: 'contract' },
          { label: 'other' },
        );
        expect(issued.first.body.key).toMatch(/^ak_/);
        expect(issued.again.body.id).toBe(issued.first.body.id);
        expect(issued.again.body.key, 'a replay never repeats the secret').toBeUndefined();
        const key = issued.first.body.key as string;
        expect((await call('GET', `/v1/admin/accounts/${accountId}`, { key: ADMIN_KEY })).status).toBe(200);
        expect((await call('GET', `/v1/admin/accounts/${missing}`, { key: ADMIN_KEY })).status).toBe(404);
        expect((await call('GET', `/v1/admin/accounts/${accountId}`, { key })).status).toBe(403);
        expect((await call('POST', `/v1/admin/accounts/${missing}/keys`, { key: ADMIN_KEY, body: {} })).status).toBe(404);
        const spare = await call('POST', `/v1/admin/accounts/${accountId}/keys`, { key: ADMIN_KEY });
        expect((await call('POST', `/v1/admin/keys/${spare.body.id}/revoke`, { key: ADMIN_KEY })).status).toBe(200);
        expect((await call('POST', `/v1/admin/keys/${missing}/revoke`, { key: ADMIN_KEY })).status).toBe(404);
        expect((await call('GET', '/v1/admin/reports/summary', { key: ADMIN_KEY })).status).toBe(200);
        expect((await call('GET', '/v1/admin/reports/summary?from=2026-01-02&to=2026-01-01', { key: ADMIN_KEY })).status).toBe(
          400,
        );

        // ── credits and top-ups ──
        expect((await call('GET', '/v1/credits')).status).toBe(401);
        expect((await call('GET', '/v1/credits', { key: ADMIN_KEY })).status).toBe(403);
        await createLedger(h.ctx.sql).credit({
          accountId,
          amount: 20_000_000,
          key: `contract-seed/${accountId}`,
          reason: 'contract test',
        });
        expect((await call('GET', '/v1/credits', { key })).status).toBe(200);
        expect((await call('GET', '/v1/credits/statement?limit=5', { key })).status).toBe(200);
        expect((await call('GET', '/v1/credits/statement?cursor=x', { key })).status).toBe(400);
        const topup = await idempotent('/v1/credits/topups', key, { amount: 5_000 }, { amount: 6_000 });
        expect(topup.first.status).toBe(201);
        expect((await call('POST', '/v1/credits/topups', { key, body: { amount: 1 } })).status).toBe(400);
        expect((await call('GET', '/v1/credits/topups', { key })).status).toBe(200);
        expect((await call('GET', `/v1/credits/topups/${topup.first.body.id}`, { key })).status).toBe(200);
        expect((await call('GET', `/v1/credits/topups/${missing}`, { key })).status).toBe(404);

        // ── a campaign that runs to the end: calls with a transcript and costs ──
        const phones = [testNumber(), testNumber()];
        h.sim.scenario.numbers ??= {};
        for (const p of phones) h.sim.scenario.numbers[p] = { kind: 'answer', afterMs: 50, hangupAfterMs: 1_500 };
        h.gateway.set(phones[0]!, async (c, handle) => {
          await handle.executeUpdate(attachMediaUpdate, {
            args: [{ streamSid: 'MZcontract', callSid: c.callSid, attachId: 'contract-attach', at: new Date().toISOString() }],
          });
          await handle.signal(transcriptSignal, { seq: 1, role: 'agent', text: 'Hello!', atMs: 0 });
          await handle.signal(transcriptSignal, { seq: 2, role: 'caller', text: 'Hi, who is this?', atMs: 900 });
          await handle.signal(transcriptSignal, {
            seq: 3,
            role: 'agent',
            text: 'Aina, from Acme.',
            atMs: 1_200,
            latency: { sttFinalMs: 300, llmFirstTokenMs: 400, firstFrameMs: 650 },
          });
          await handle.signal(usageSignal, { sttAudioMs: 1_200, promptTokens: 120, completionTokens: 12, ttsCharacters: 24 });
        });
        const newCampaign = {
          name: 'Contract',
          agent: testAgent,
          defaultRegion: 'US',
          settings: { maxConcurrentCalls: 2, ringTimeoutSec: 5 },
          contacts: [{ phone: phones[0] }],
        };
        const created = await idempotent('/v1/campaigns', key, newCampaign, { ...newCampaign, name: 'Other' });
        expect(created.again.body).toEqual(created.first.body);
        const campaignId = created.first.body.campaign.id as string;
        expect((await call('POST', '/v1/campaigns', { key, body: { ...newCampaign, name: '' } })).status).toBe(400);
        const more = await idempotent(
          `/v1/campaigns/${campaignId}/contacts`,
          key,
          `phone,name\n${phones[1]},Siti\n`,
          `phone\n${testNumber()}\n`,
          { 'content-type': 'text/csv' },
        );
        expect(more.first.body.accepted).toBe(1);
        expect(
          (await call('POST', `/v1/campaigns/${campaignId}/contacts`, { key, body: { contacts: [{ phone: 'nope' }] } })).body
            .invalid,
        ).toHaveLength(1);
        expect(
          (
            await call('POST', `/v1/campaigns/${campaignId}/contacts`, {
              key,
              body: 'a=1',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
            })
          ).status,
        ).toBe(415);
        expect(
          (await call('POST', `/v1/campaigns/${missing}/contacts`, { key, body: { contacts: [{ phone: phones[0] }] } })).status,
        ).toBe(404);
        expect((await call('GET', '/v1/campaigns', { key })).status).toBe(200);
        expect((await call('GET', `/v1/campaigns/${missing}`, { key })).status).toBe(404);
        const draftPause = await call('POST', `/v1/campaigns/${campaignId}/pause`, { key, body: {} });
        expect([draftPause.status, draftPause.body.status]).toEqual([409, 'draft']);
        expect((await call('POST', `/v1/campaigns/${missing}/start`, { key })).status).toBe(404);
        expect((await call('POST', `/v1/campaigns/${campaignId}/start`, { key })).status).toBe(202);
        expect(
          (await call('POST', `/v1/campaigns/${campaignId}/contacts`, { key, body: { contacts: [{ phone: testNumber() }] } }))
            .status,
        ).toBe(409);
        await expect
          .poll(async () => (await call('GET', `/v1/campaigns/${campaignId}`, { key })).body.status, {
            timeout: 45_000,
            interval: 300,
          })
          .toBe('completed');
        const calls = await call('GET', `/v1/campaigns/${campaignId}/calls?limit=1`, { key });
        expect(calls.status).toBe(200);
        expect(
          (await call('GET', `/v1/campaigns/${campaignId}/calls?limit=1&cursor=${calls.body.nextCursor}`, { key })).body.calls,
        ).toHaveLength(1);
        expect((await call('GET', `/v1/campaigns/${campaignId}/calls?cursor=nonsense`, { key })).status).toBe(400);
        expect((await call('GET', `/v1/campaigns/${missing}/calls`, { key })).status).toBe(404);
        const all = (await call('GET', `/v1/campaigns/${campaignId}/calls`, { key })).body.calls as { id: string; to: string }[];
        const talkedId = all.find((c) => c.to === phones[0])!.id;
        const talked = await call('GET', `/v1/calls/${talkedId}`, { key });
        expect(talked.body.transcript.map((t: { text: string }) => t.text)).toEqual([
          'Hello!',
          'Hi, who is this?',
          'Aina, from Acme.',
        ]);
        expect(talked.body.cost.usage.promptTokens).toBe(120);
        expect((await call('GET', `/v1/calls/${missing}`, { key })).status).toBe(404);
        for (const action of ['pause', 'resume', 'cancel']) {
          const r = await call('POST', `/v1/campaigns/${campaignId}/${action}`, { key, body: {} });
          expect([action, r.status, r.body.status]).toEqual([action, 409, 'completed']);
        }
        expect((await call('POST', `/v1/campaigns/${campaignId}/start`, { key })).status).toBe(200);

        // ── a campaign paused, resumed and canceled while it dials ──
        const slow = Array.from({ length: 4 }, () => testNumber());
        for (const p of slow) h.sim.scenario.numbers[p] = { kind: 'answer', afterMs: 50, hangupAfterMs: 2_000 };
        const second = (
          await call('POST', '/v1/campaigns', {
            key,
            body: {
              ...newCampaign,
              settings: { maxConcurrentCalls: 1, ringTimeoutSec: 5 },
              contacts: slow.map((phone) => ({ phone })),
            },
          })
        ).body.campaign;
        expect((await call('POST', `/v1/campaigns/${second.id}/start`, { key })).status).toBe(202);
        expect((await call('POST', `/v1/campaigns/${second.id}/pause`, { key, body: { reason: 'lunch' } })).body).toEqual({
          status: 'paused',
          pauseReason: 'lunch',
        });
        expect((await call('POST', `/v1/campaigns/${second.id}/pause`, { key, body: { reason: 'x'.repeat(201) } })).status).toBe(
          400,
        );
        expect((await call('POST', `/v1/campaigns/${second.id}/resume`, { key })).body.status).toBe('running');
        const canceled = await call('POST', `/v1/campaigns/${second.id}/cancel`, { key });
        expect(canceled.status).toBe(200);
        if (canceled.body.status === 'canceling') {
          const r = await call('POST', `/v1/campaigns/${second.id}/resume`, { key });
          // the calls in flight may have settled in between: then it is canceled already
          expect(r.status).toBe(409);
          expect(['canceling', 'canceled']).toContain(r.body.status);
        }
        await expect
          .poll(async () => (await call('GET', `/v1/campaigns/${second.id}`, { key })).body.status, {
            timeout: 45_000,
            interval: 300,
          })
          .toBe('canceled');
        const late = await call('POST', `/v1/campaigns/${second.id}/pause`, { key, body: {} });
        expect([late.status, late.body.status]).toEqual([409, 'canceled']);

        // ── webhooks, do-not-call lists, the agent preview, analysis settings, recordings ──
        const checks: IntegrationChecks = {
          call,
          sql: h.ctx.sql,
          key,
          adminKey: ADMIN_KEY,
          accountId,
          campaignId,
          phone: phones[0]!,
          callId: talkedId,
          recordingsDir,
          missing,
          emitter: { sql: h.ctx.sql, temporal: h.ctx.client, taskQueue, log },
        };
        await checkWebhooks(checks);
        await checkSuppressions(checks);
        await checkCampaignExtras(checks);
        await checkRecordings(checks);

        // ── reports, and the rate limit every operation may answer with ──
        expect((await call('GET', '/v1/reports/summary?from=2026-01-01', { key })).status).toBe(200);
        expect((await call('GET', '/v1/reports/summary?from=nonsense', { key })).status).toBe(400);
        await call('GET', '/v1/credits', { key }, throttled);
        expect((await call('GET', '/v1/credits', { key }, throttled)).status).toBe(429);

        expect(problems).toEqual([]);
        const without2xx = OPERATIONS.filter((o) => ![...seen].some((s) => s.startsWith(`${o.operationId} 2`))).map(
          (o) => o.operationId,
        );
        expect(without2xx, 'operations never called live with a 2xx answer: add a call above').toEqual([]);
        const notReplayed = OPERATIONS.filter((o) => o.idempotent && !replayed.has(o.operationId)).map((o) => o.operationId);
        expect(notReplayed, 'idempotent operations whose replay was never checked').toEqual([]);
        const statuses = new Set([...seen].map((s) => s.split(' ')[1]));
        expect([...statuses].sort()).toEqual(
          expect.arrayContaining([
            '200',
            '201',
            '202',
            '204',
            '206',
            '400',
            '401',
            '403',
            '404',
            '409',
            '415',
            '416',
            '422',
            '429',
          ]),
        );
      } finally {
        await throttled.close();
        await api.close();
      }
    });
  });
});
