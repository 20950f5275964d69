import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ADMIN_KEY,
  FUZZ_RUNS,
  expectClear4xx,
  expectLedgerUntouched,
  ledgerSnapshot,
  send,
  startHostileApi,
  type Fixtures,
  type LedgerSnapshot,
} from './harness';
import { badAuth, badId, contentType, enc, mutatedObject, nastyString, query, rawBody } from './arbitraries';
import { ROUTES, routeKey, type RouteSpec } from './routes';
import { testAgent } from '../campaign/harness';

let h: Awaited<ReturnType<typeof startHostileApi>>;
let before: LedgerSnapshot;
const accounts = () => [h.fx.a.id, h.fx.b.id];

beforeAll(async () => {
  h = await startHostileApi();
  before = await ledgerSnapshot(h.ctx, accounts());
});
afterAll(async () => {
  // one last look: the server still answers and nothing touched the money
  expect((await send(h.api.url, 'GET', '/healthz')).status).toBe(200);
  await expectLedgerUntouched(h.ctx, accounts(), before);
  await h.api.close();
});

/**
 * Per /v1 route: a valid body to mutate, the query keys it reads, the success statuses a request
 * that happens to be valid may get, and which of A's ids the `:id` may name. Ids are chosen so
 * that no fuzzed request can reach Temporal: start only ever sees A's campaign without contacts,
 * pause/resume/cancel only draft campaigns (409 before any update is sent).
 */
interface FuzzSpec {
  valid?: Record<string, unknown>;
  query?: string[];
  ok: number[];
  ids?: (fx: Fixtures) => string[];
  /** a body this route must never receive in the fuzz (it would reach Temporal) */
  exclude?: (body: unknown) => boolean;
}

const contact = { phone: '+60123456789', name: 'Aminah', variables: { plan: 'gold' } };
const FUZZ: Record<string, FuzzSpec> = {
  'GET /v1/reports/summary': { query: ['from', 'to'], ok: [200] },
  'GET /v1/admin/reports/summary': { query: ['from', 'to'], ok: [200] },
  'POST /v1/admin/accounts': {
    valid: { name: 'Acme', currency: 'MYR', billingEmail: 'b@acme.example', maxConcurrentCalls: 5, lowBalanceThreshold: 0 },
    ok: [201],
  },
  'GET /v1/admin/accounts': { query: ['limit', 'after'], ok: [200] },
  'GET /v1/admin/accounts/:id': { ok: [200], ids: (fx) => [fx.a.id] },
  'POST /v1/admin/accounts/:id/keys': { valid: { role: 'client', label: 'ci' }, ok: [201], ids: (fx) => [fx.b.id] },
  'POST /v1/admin/keys/:id/revoke': { ok: [200], ids: (fx) => [fx.spareKeyId] },
  'GET /v1/credits': { ok: [200] },
  'GET /v1/credits/statement': { query: ['from', 'to', 'limit', 'cursor'], ok: [200] },
  'POST /v1/credits/topups': {
    valid: { amount: 5_000, email: 'payer@example.com' },
    ok: [],
    exclude: (b) =>
      !!b &&
      typeof b === 'object' &&
      Number.isInteger((b as { amount?: unknown }).amount) &&
      Math.abs((b as { amount: number }).amount) <= 10_000_000,
  },
  'GET /v1/credits/topups': { ok: [200] },
  'GET /v1/credits/topups/:id': { ok: [200], ids: (fx) => [fx.topUpId] },
  'POST /v1/campaigns': {
    valid: {
      name: 'Renewals',
      agent: { ...testAgent, voicemailMessage: 'Call us back', outcomes: ['interested'] },
      defaultRegion: 'MY',
      settings: {
        maxConcurrentCalls: 2,
        callingWindow: { timeZone: 'Asia/Kuala_Lumpur', start: '09:00', end: '18:00', weekdays: [1, 2, 3] },
        retry: { maxAttempts: 2, backoffSec: 60, retryOn: ['busy'] },
        voicemailPolicy: 'leave_message',
      },
      contacts: [contact],
    },
    ok: [201],
  },
  'GET /v1/campaigns': { ok: [200] },
  'GET /v1/campaigns/:id': { ok: [200], ids: (fx) => [fx.campaignId] },
  'POST /v1/campaigns/:id/contacts': { valid: { contacts: [contact] }, ok: [200], ids: (fx) => [fx.campaignId] },
  'POST /v1/campaigns/:id/start': { ok: [], ids: (fx) => [fx.emptyCampaignId] },
  'POST /v1/campaigns/:id/pause': { valid: { reason: 'lunch' }, ok: [], ids: (fx) => [fx.emptyCampaignId, fx.campaignId] },
  'POST /v1/campaigns/:id/resume': { ok: [], ids: (fx) => [fx.emptyCampaignId, fx.campaignId] },
  'POST /v1/campaigns/:id/cancel': { ok: [], ids: (fx) => [fx.emptyCampaignId, fx.campaignId] },
  'GET /v1/campaigns/:id/calls': { query: ['status', 'limit', 'cursor'], ok: [200], ids: (fx) => [fx.campaignId] },
  'GET /v1/calls/:id': { ok: [200], ids: (fx) => [fx.callId] },
  'POST /v1/webhooks/endpoints': {
    valid: { url: 'https://hooks.example.com/in', eventTypes: ['call.ended', 'topup.paid'], description: 'crm' },
    ok: [201],
  },
  'GET /v1/webhooks/endpoints': { ok: [200] },
  'GET /v1/webhooks/endpoints/:id': { ok: [200], ids: (fx) => [fx.webhookEndpointId] },
  'PATCH /v1/webhooks/endpoints/:id': {
    valid: { description: 'crm', eventTypes: ['call.ended'], enabled: true },
    ok: [200],
    ids: (fx) => [fx.webhookEndpointId],
  },
  'DELETE /v1/webhooks/endpoints/:id': { ok: [204], ids: (fx) => [fx.spareWebhookEndpointId] },
  'POST /v1/webhooks/endpoints/:id/rotate-secret': {
    valid: { previousSecretTtlSec: 60 },
    ok: [200],
    ids: (fx) => [fx.webhookEndpointId],
  },
  'GET /v1/webhooks/endpoints/:id/deliveries': {
    query: ['status', 'limit', 'cursor'],
    ok: [200],
    ids: (fx) => [fx.webhookEndpointId],
  },
  'GET /v1/webhooks/deliveries/:id': { ok: [200], ids: (fx) => [fx.deliveryId] },
  // the delivery's endpoint is disabled: 409 before Temporal
  'POST /v1/webhooks/deliveries/:id/redeliver': { ok: [], ids: (fx) => [fx.deliveryId] },
  'GET /v1/suppressions': { query: ['source', 'limit', 'cursor'], ok: [200] },
  'POST /v1/suppressions': {
    valid: { numbers: [{ phone: '+60123456789', reason: 'asked' }], defaultRegion: 'MY' },
    query: ['defaultRegion'],
    ok: [200, 201],
  },
  'GET /v1/suppressions/:phone': { ok: [200] },
  'DELETE /v1/suppressions/:phone': { query: ['force'], ok: [204] },
  'GET /v1/admin/suppressions': { query: ['source', 'limit', 'cursor'], ok: [200] },
  'POST /v1/admin/suppressions': {
    // a number no test dials: the platform list applies to every account of the shared test database
    valid: { numbers: [{ phone: '+60109990001', reason: 'regulator' }] },
    query: ['defaultRegion'],
    ok: [200, 201],
  },
  'GET /v1/admin/suppressions/:phone': { ok: [200] },
  'DELETE /v1/admin/suppressions/:phone': { query: ['force'], ok: [204] },
  'GET /v1/campaigns/:id/preview': { query: ['contact'], ok: [200], ids: (fx) => [fx.campaignId] },
  'GET /v1/campaigns/:id/analysis': { ok: [200], ids: (fx) => [fx.campaignId] },
  'PUT /v1/campaigns/:id/analysis': {
    valid: {
      analysis: {
        summary: true,
        fields: [
          { name: 'interest', type: 'enum', values: ['high', 'low', 'none'], description: 'how interested' },
          { name: 'callback_at', type: 'datetime', description: 'when to call back' },
        ],
      },
    },
    ok: [200],
    ids: (fx) => [fx.campaignId],
  },
  // The fixture's call has a recording (the audio itself is test/recordings'); a Range query header is not a query.
  'GET /v1/calls/:id/recording': { ok: [200], ids: (fx) => [fx.callId] },
  'GET /v1/recordings/retention': { ok: [200] },
  'PUT /v1/recordings/retention': { valid: { days: 30 }, ok: [200] },
};

const v1Routes = ROUTES.filter((r) => r.auth === 'client' || r.auth === 'admin');

it('has a fuzz spec for every /v1 route and none for a route that does not exist', () => {
  expect(Object.keys(FUZZ).sort()).toEqual(v1Routes.map(routeKey).sort());
});

const keyFor = (r: RouteSpec) => (r.auth === 'admin' ? ADMIN_KEY : h.fx.a.apiKey);
const pathWith = (r: RouteSpec, id: string) => r.path.replace(':id', id);
const idArb = (r: RouteSpec, spec: FuzzSpec) =>
  r.path.includes(':id') ? fc.oneof(fc.constantFrom(...spec.ids!(h.fx)), badId) : fc.constant('');
const parsed = (s: string) => {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};
const props = { numRuns: FUZZ_RUNS, endOnFailure: true };

describe.each(v1Routes.map((r) => [routeKey(r), r] as const))('%s', (_name, route) => {
  const spec = FUZZ[routeKey(route)]!;

  it('without a valid API key: 401 with a reason, whatever else is sent', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...(spec.ids?.(h.fx) ?? ['x'])),
        badAuth,
        rawBody(spec.valid),
        contentType,
        async (id, auth, body, ct) => {
          const r = await send(h.api.url, route.method, pathWith(route, id), {
            headers: { ...auth, ...(ct ? { 'content-type': ct } : {}) },
            body: route.method === 'GET' ? undefined : body,
          });
          // the key is checked before the body is read: malformed or huge bodies are still a 401
          expectClear4xx(r, { auth, ct, body: body.slice(0, 80) });
          expect(r.status).toBe(401);
          expect(r.body.error).toBe('unauthenticated');
        },
      ),
      props,
    );
  });

  it('malformed bodies, wrong content types, hostile queries and ids: a clear 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        idArb(route, spec),
        query(spec.query ?? ['limit']),
        rawBody(spec.valid),
        contentType,
        async (id, q, body, ct) => {
          fc.pre(!spec.exclude?.(parsed(body)));
          const r = await send(h.api.url, route.method, pathWith(route, id) + q, {
            headers: { authorization: `Bearer ${keyFor(route)}`, ...(ct ? { 'content-type': ct } : {}) },
            body: route.method === 'GET' ? undefined : body,
          });
          expectClear4xx(r, { id, q, ct, body: body.slice(0, 200) }, spec.ok);
        },
      ),
      props,
    );
  });

  if (spec.query) {
    it('hostile values (dates, cursors, numbers, repeats) on its own query parameters: a clear 4xx, never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(idArb(route, spec), query(spec.query!), async (id, q) => {
          const r = await send(h.api.url, route.method, pathWith(route, id) + q, {
            headers: { authorization: `Bearer ${keyFor(route)}` },
          });
          expectClear4xx(r, { id, q }, spec.ok);
        }),
        { ...props, numRuns: FUZZ_RUNS * 3 },
      );
    });
  }

  if (spec.valid) {
    it('a valid body with fields removed, retyped or added (nested too): 400 with the field named', async () => {
      await fc.assert(
        fc.asyncProperty(idArb(route, spec), mutatedObject(spec.valid!), async (id, body) => {
          fc.pre(!spec.exclude?.(body));
          const r = await send(h.api.url, route.method, pathWith(route, id), {
            headers: { authorization: `Bearer ${keyFor(route)}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
          expectClear4xx(r, { id, body }, spec.ok);
        }),
        { ...props, numRuns: FUZZ_RUNS * 2 },
      );
    });
  }

  if (route.path.includes(':id')) {
    it('an id that is not one of ours is 404 not_found, never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(badId, async (id) => {
          const r = await send(h.api.url, route.method, pathWith(route, id), {
            headers: { authorization: `Bearer ${keyFor(route)}`, 'content-type': 'application/json' },
            body: route.method === 'GET' ? undefined : '{}',
          });
          expectClear4xx(r, { id });
          // an id that is not percent-encoded UTF-8 cannot even be decoded: 400 malformed_path
          if (r.status === 400) expect(r.body.error, id).toBe('malformed_path');
          else expect(r.status, `${id} -> ${r.text}`).toBe(404);
        }),
        props,
      );
    });
  }
});

describe('any other path or method', () => {
  it('is a JSON 404 (or 401 under /v1 without a key), never a 5xx', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH');
    const path = fc.oneof(
      fc.array(nastyString.map(enc), { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
      fc.array(nastyString.map(enc), { minLength: 1, maxLength: 3 }).map((s) => `/v1/${s.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(method, path, fc.boolean(), async (m, p, withKey) => {
        fc.pre(!ROUTES.some((r) => r.method === m && r.path === p));
        const r = await send(h.api.url, m, p, { headers: withKey ? { authorization: `Bearer ${h.fx.a.apiKey}` } : {} });
        expectClear4xx(r, { m, p, withKey }, [200]);
        if (r.status === 200) expect(m).toBe('GET'); // a nasty path that normalises onto a real GET route
      }),
      props,
    );
  });
});
