import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { ADMIN_KEY, send, startHostileApi } from '../hostile/harness';
import { ROUTES, routeKey, type RouteSpec } from '../hostile/routes';

/**
 * Tenant isolation, enumerated from the route table (test/hostile/routes.ts), so a new route is
 * covered or fails here. Another account's resource answers exactly like one that does not exist
 * (404 not_found, same message), so ids cannot be enumerated; state is unchanged afterwards.
 */
let h: Awaited<ReturnType<typeof startHostileApi>>;
beforeAll(async () => {
  h = await startHostileApi();
});
afterAll(() => h.api.close());

const bearer = (k: string) => ({ authorization: `Bearer ${k}`, 'content-type': 'application/json' });
const idOf = (r: RouteSpec) => {
  const fx = h.fx;
  switch (r.owns) {
    case 'campaign':
      return r.path.endsWith('/start') ? fx.emptyCampaignId : fx.campaignId;
    case 'call':
      return fx.callId;
    case 'topup':
      return fx.topUpId;
    case 'account':
      return fx.a.id;
    case 'key':
      return fx.spareKeyId;
    case 'webhook':
      return fx.webhookEndpointId;
    case 'spareWebhook':
      return fx.spareWebhookEndpointId;
    case 'delivery':
      return fx.deliveryId;
    default:
      throw new Error(`${routeKey(r)}: an :id route must say what it owns`);
  }
};
const bodyFor = (r: RouteSpec) =>
  r.method === 'GET' ? undefined : r.body === 'json-or-csv' ? JSON.stringify({ contacts: [{ phone: '+60198765432' }] }) : '{}';
const stateOfA = async () => {
  const { sql } = h.ctx;
  return JSON.stringify([
    await sql`select status, contact_count, name from campaigns where account_id = ${h.fx.a.id} order by id`,
    await sql`select count(*)::int from contacts where account_id = ${h.fx.a.id}`,
    await sql`select status from calls where account_id = ${h.fx.a.id}`,
    await sql`select status from topups where account_id = ${h.fx.a.id}`,
    await sql`select id, revoked_at from api_keys where account_id = ${h.fx.a.id} order by id`,
  ]);
};

const clientIdRoutes = ROUTES.filter((r) => r.auth === 'client' && r.path.includes(':id'));
const clientRoutes = ROUTES.filter((r) => r.auth === 'client');
const adminRoutes = ROUTES.filter((r) => r.auth === 'admin');

describe("account B's key on account A's resources", () => {
  it.each(clientIdRoutes.map((r) => [routeKey(r), r] as const))(
    '%s: 404 not_found, the same answer as for an id that does not exist',
    async (_n, r) => {
      const before = await stateOfA();
      const theirs = await send(h.api.url, r.method, r.path.replace(':id', idOf(r)), {
        headers: bearer(h.fx.b.apiKey),
        body: bodyFor(r),
      });
      const none = await send(h.api.url, r.method, r.path.replace(':id', randomUUID()), {
        headers: bearer(h.fx.b.apiKey),
        body: bodyFor(r),
      });
      expect(theirs.status, theirs.text).toBe(404);
      expect(theirs.body).toEqual(none.body);
      expect(theirs.body.error).toBe('not_found');
      // and the id is real: A's own key gets past the lookup
      const own = await send(h.api.url, r.method, r.path.replace(':id', idOf(r)), {
        headers: bearer(h.fx.a.apiKey),
        body: r.method === 'GET' ? undefined : '{"x":1}',
      });
      expect(own.status, own.text).not.toBe(404);
      expect(await stateOfA()).toBe(before);
    },
  );
});

/** What B sees on each route without an id: nothing of A's. Every such client route must be listed. */
const LISTS: Record<string, (b: { status: number; body: any }) => void> = {
  'GET /v1/reports/summary': (r) => expect(r.body.accountId).toBe(h.fx.b.id),
  'GET /v1/credits': (r) => expect(r.body.available).toBe(5_000_000),
  'GET /v1/credits/statement': (r) => expect(r.body.entries).toHaveLength(1),
  'POST /v1/credits/topups': (r) => expect(r.status).toBe(400), // body is {"accountId": A}: refused, never applied to A
  'GET /v1/credits/topups': (r) => expect(r.body.topups).toEqual([]),
  'POST /v1/campaigns': (r) => expect(r.status).toBe(400),
  'GET /v1/campaigns': (r) => expect(r.body.campaigns).toEqual([]),
  'POST /v1/webhooks/endpoints': (r) => expect(r.status).toBe(400),
  'GET /v1/webhooks/endpoints': (r) => expect(r.body.endpoints).toEqual([]),
  'GET /v1/suppressions': (r) => expect(r.body.suppressions).toEqual([]),
  'POST /v1/suppressions': (r) => expect(r.status).toBe(400),
  // `:phone` is sent literally: refused as not a number before any list is read
  'GET /v1/suppressions/:phone': (r) => expect(r.status).toBe(400),
  'DELETE /v1/suppressions/:phone': (r) => expect(r.status).toBe(400),
  'GET /v1/recordings/retention': (r) => expect(r.body.days).toBeNull(),
  'PUT /v1/recordings/retention': (r) => expect(r.status).toBe(400), // body is {"accountId": A}: refused
};

describe('account B on routes without an id', () => {
  it('every client route without an id is checked here', () => {
    expect(Object.keys(LISTS).sort()).toEqual(
      clientRoutes
        .filter((r) => !r.path.includes(':id'))
        .map(routeKey)
        .sort(),
    );
  });
  it.each(Object.entries(LISTS))('%s shows B only its own, and an accountId in the body is refused', async (name, check) => {
    const [method, path] = name.split(' ') as [string, string];
    const r = await send(h.api.url, method, `${path}${method === 'GET' ? `?accountId=${h.fx.a.id}` : ''}`, {
      headers: bearer(h.fx.b.apiKey),
      body: method === 'GET' ? undefined : JSON.stringify({ accountId: h.fx.a.id }),
    });
    // a query naming A is either refused (strict schemas) or ignored (the key decides)
    if (method === 'GET' && r.status === 400) {
      const plain = await send(h.api.url, method, path, { headers: bearer(h.fx.b.apiKey) });
      check(plain);
    } else {
      check(r);
    }
    expect(JSON.stringify(r.body)).not.toContain(h.fx.campaignId);
    expect(JSON.stringify(r.body)).not.toContain(h.fx.topUpId);
  });
});

describe('roles', () => {
  it.each(adminRoutes.map((r) => [routeKey(r), r] as const))('%s: a client key is 403 forbidden', async (_n, r) => {
    const res = await send(h.api.url, r.method, r.path.replace(':id', h.fx.a.id), {
      headers: bearer(h.fx.a.apiKey),
      body: r.method === 'GET' ? undefined : '{"name":"x"}',
    });
    expect([res.status, res.body.error]).toEqual([403, 'forbidden']);
  });
  it.each(clientRoutes.map((r) => [routeKey(r), r] as const))(
    "%s: the platform admin key (no account) is 403, never another account's data",
    async (_n, r) => {
      const res = await send(h.api.url, r.method, r.path.replace(':id', r.owns ? idOf(r) : ''), {
        headers: bearer(ADMIN_KEY),
        body: r.method === 'GET' ? undefined : '{}',
      });
      expect([res.status, res.body.error]).toEqual([403, 'forbidden']);
    },
  );
});
