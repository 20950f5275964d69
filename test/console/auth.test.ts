import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';
import { ConsoleClient, consoleUser, PASSWORD } from './helpers';

import { THROTTLE } from '../../api/console/auth/throttle';
import { consoleUserLink, demoConsoleLink } from '../../api/console/cli';

let ctx: TestContext;
let api: Awaited<ReturnType<typeof startTestApi>>;
let ipSeq = 10;
/** Each test signs in from its own loopback address (X-Forwarded-For), so per-address throttling stays per test. */
const client = () => new ConsoleClient(api.url, `127.0.0.${ipSeq++}`);

beforeAll(async () => {
  ctx = await testContext();
  api = await startTestApi(ctx);
});
afterAll(async () => {
  await api?.close();
});

describe('console sign-in', () => {
  it('signs in with email and password: an HttpOnly, SameSite=Lax session cookie (not Secure on http), the dashboard, then sign-out ends the session', async () => {
    const a = await createTestAccount(ctx.sql);
    const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' });
    const c = client();
    const login = await c.get('/app/login');
    expect(login.status).toBe(200);
    expect(login.text).toContain('<label for="f-email">Email</label>');
    const res = await c.post('/app/login', { email: u.email.toUpperCase(), password: PASSWORD, next: '/app' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/app');
    const cookie = res.setCookies.find((s) => s.startsWith('aicall_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const dash = await c.get('/app');
    expect(dash.status).toBe(200);
    expect(dash.text).toContain(u.email);
    expect(dash.text).toContain('Available credit');
    const [row] = await ctx.sql`select count(*)::int as n from console_sessions where user_id = ${u.id}`;
    expect(row!.n).toBe(1);

    const out = await c.post('/app/logout');
    expect(out.status).toBe(303);
    const [after] = await ctx.sql`select count(*)::int as n from console_sessions where user_id = ${u.id}`;
    expect(after!.n).toBe(0);
    const again = await c.get('/app');
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/app/login?next=%2Fapp');
  });

  it('marks the cookie Secure and __Host- when APP_ORIGIN is https', async () => {
    const https = await startTestApi(ctx, { APP_ORIGIN: 'https://console.example' });
    try {
      const a = await createTestAccount(ctx.sql);
      const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'member' });
      const c = new ConsoleClient(https.url, '127.0.0.250');
      const res = await c.signIn(u.email, PASSWORD);
      const cookie = res.setCookies.find((s) => s.startsWith('__Host-aicall_session='));
      expect(cookie).toMatch(/; Secure/);
      expect(cookie).toMatch(/HttpOnly/);
    } finally {
      await https.close();
    }
  });

  it('throttles wrong passwords per account: after the limit even the right password is refused, with Retry-After', async () => {
    const a = await createTestAccount(ctx.sql);
    const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' });
    const c = client();
    await c.get('/app/login');
    for (let i = 0; i < THROTTLE.PER_ACCOUNT; i++) {
      const bad = await c.post('/app/login', { email: u.email, password: 'wrong password!!' });
      expect(bad.status).toBe(401);
      expect(bad.text).toContain('Wrong email or password.');
    }
    // from another address too: the limit is the account's
    const other = client();
    await other.get('/app/login');
    const blocked = await other.post('/app/login', { email: u.email, password: PASSWORD });
    expect(blocked.status).toBe(429);
    expect(blocked.text).toContain('Too many failed sign-ins');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.setCookies.some((s) => s.startsWith('aicall_session='))).toBe(false);
  });

  it('throttles per client address across accounts', async () => {
    const c = client();
    await c.get('/app/login');
    for (let i = 0; i < THROTTLE.PER_IP; i++) {
      expect(
        (await c.post('/app/login', { email: `nobody-${i}-${ipSeq}@console.test`, password: 'guess guess guess' })).status,
      ).toBe(401);
    }
    const a = await createTestAccount(ctx.sql);
    const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' });
    expect((await c.post('/app/login', { email: u.email, password: PASSWORD })).status).toBe(429);
    // the same user from another address is fine
    expect((await client().signIn(u.email, PASSWORD)).status).toBe(303);
  });

  it('refuses a sign-in form without its login token', async () => {
    const a = await createTestAccount(ctx.sql);
    const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' });
    const c = client();
    await c.get('/app/login');
    const res = await c.post('/app/login', { email: u.email, password: PASSWORD }, { csrf: false });
    expect(res.status).toBe(403);
  });

  it("a suspended account's users cannot sign in, and their sessions end", async () => {
    const a = await createTestAccount(ctx.sql);
    const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' });
    const c = client();
    expect((await c.signIn(u.email, PASSWORD)).status).toBe(303);
    expect((await c.get('/app')).status).toBe(200);
    await ctx.sql`update accounts set status = 'suspended' where id = ${a.id}`;
    expect((await c.get('/app')).status).toBe(303);
    const again = await client().signIn(u.email, PASSWORD);
    expect(again.status).toBe(403);
    expect(again.text).toContain('suspended');
  });

  it('an expired or idle session sends the browser back to sign in', async () => {
    const a = await createTestAccount(ctx.sql);
    const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'member' });
    const c = client();
    await c.signIn(u.email, PASSWORD);
    expect((await c.get('/app/calls')).status).toBe(200);
    await ctx.sql`update console_sessions set expires_at = now() - interval '1 second' where user_id = ${u.id}`;
    const r1 = await c.get('/app/calls');
    expect([r1.status, r1.headers.get('location')]).toEqual([303, '/app/login?next=%2Fapp%2Fcalls']);

    const d = client();
    await d.signIn(u.email, PASSWORD);
    await ctx.sql`update console_sessions set last_seen_at = now() - interval '3 hours' where user_id = ${u.id}`;
    expect((await d.get('/app/calls')).status).toBe(303);
  });
});

describe('CSRF', () => {
  it("refuses a state-changing post without the session's token, from a form or htmx, and accepts it with the token", async () => {
    const a = await createTestAccount(ctx.sql);
    const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' });
    const c = client();
    await c.signIn(u.email, PASSWORD);
    await c.get('/app/keys');
    const none = await c.post('/app/keys', { label: 'no token' }, { csrf: false });
    expect(none.status).toBe(403);
    expect(none.text).toContain('security token');
    const wrong = await c.req('POST', '/app/keys', { form: { label: 'x' }, headers: { 'x-csrf-token': 'A'.repeat(43) } });
    expect(wrong.status).toBe(403);
    expect(await ctx.sql`select 1 from api_keys where account_id = ${a.id}`).toHaveLength(0);
    const ok = await c.req('POST', '/app/keys', {
      form: { label: 'by htmx' },
      headers: { 'x-csrf-token': c.csrf, 'hx-request': 'true' },
    });
    expect(ok.status).toBe(201);
    expect(await ctx.sql`select 1 from api_keys where account_id = ${a.id}`).toHaveLength(1);
  });
});

describe('invitations and one-time links', () => {
  it('the CLI invites a user; the set-password link works once and enforces the password rule', async () => {
    const a = await createTestAccount(ctx.sql);
    const out = await consoleUserLink(ctx.sql, { API_PORT: 3000 }, 'invite', {
      account: a.id,
      email: 'New.Owner@Console.test',
      role: 'member',
    });
    expect(out).toContain('member new.owner@console.test created');
    const token = /token=([\w-]+)/.exec(out)![1]!;
    const c = client();
    const page = await c.get(`/app/set-password?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('new.owner@console.test');
    const short = await c.post('/app/set-password', { token, password: 'short' });
    expect(short.status).toBe(400);
    expect(short.text).toContain('password: must be at least 12 characters');
    const set = await c.post('/app/set-password', { token, password: 'a long enough password' });
    expect(set.status).toBe(303);
    expect((await c.get('/app')).text).toContain('new.owner@console.test (member)');
    expect((await client().get(`/app/set-password?token=${token}`)).status).toBe(404);
    expect((await client().signIn('new.owner@console.test', 'a long enough password')).status).toBe(303);
  });

  it('an owner invites a member from the console; members cannot invite', async () => {
    const a = await createTestAccount(ctx.sql);
    const o = client();
    await o.signIn((await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' })).email, PASSWORD);
    await o.get('/app/team');
    const res = await o.post('/app/team', { email: 'teammate@console.test', role: 'member' });
    expect(res.status).toBe(201);
    const link = /<code class="secret" id="invite-link">([^<]+)<\/code>/.exec(res.text)![1]!;
    expect((await o.post('/app/team', { email: 'teammate@console.test', role: 'member' })).status).toBe(409);
    const t = client();
    expect((await t.get(new URL(link).pathname + new URL(link).search)).status).toBe(200);
    expect(
      (await t.post('/app/set-password', { token: new URL(link).searchParams.get('token')!, password: 'teammate password' }))
        .status,
    ).toBe(303);
    expect((await t.get('/app')).text).toContain('teammate@console.test (member)');
    expect((await t.get('/app/team')).status).toBe(403);
  });

  it('the first platform admin from the CLI; a one-time sign-in link', async () => {
    const email = `admin-${ipSeq}@console.test`;
    const out = await consoleUserLink(ctx.sql, { API_PORT: 3000 }, 'create-admin', { email });
    expect(out).toContain(`admin ${email} created`);
    const link = await consoleUserLink(ctx.sql, { API_PORT: 3000 }, 'login-link', { email });
    const path = new URL(link).pathname + new URL(link).search;
    const c = client();
    expect((await c.get(path)).status).toBe(303);
    expect((await c.get('/app')).headers.get('location')).toBe('/app/admin');
    expect((await c.get('/app/admin')).text).toContain('Accounts');
    expect((await client().get(path)).status).toBe(404);
    // admins have no account pages
    expect((await c.get('/app/calls')).status).toBe(403);
  });
});

describe("the demo's sign-in link", () => {
  it('makes the demo account an owner once and signs the browser in on the given page', async () => {
    const a = await createTestAccount(ctx.sql);
    const first = await demoConsoleLink(ctx.sql, { API_PORT: 3000 }, a.id, '/app/credits');
    const second = await demoConsoleLink(ctx.sql, { API_PORT: 3000 }, a.id, '/app/credits');
    expect(first).toMatch(/^http:\/\/localhost:3000\/app\/login-link\?token=[\w-]+&next=%2Fapp%2Fcredits$/);
    expect(await ctx.sql`select role from console_users where account_id = ${a.id}`).toEqual([{ role: 'owner' }]);
    const c = client();
    const res = await c.get(new URL(second).pathname + new URL(second).search);
    expect([res.status, res.headers.get('location')]).toEqual([303, '/app/credits']);
    expect((await c.get('/app/credits')).status).toBe(200);
  });
});

describe('roles and tenancy', () => {
  it("a member sees only their account: another account's campaign and call are 404; API keys and admin pages are 403", async () => {
    const mine = await createTestAccount(ctx.sql);
    const theirs = await createTestAccount(ctx.sql);
    const [camp] =
      await ctx.sql`insert into campaigns (account_id, name, agent, settings) values (${theirs.id}, 'secret', '{}', '{}') returning id`;
    const callId = crypto.randomUUID();
    await ctx.sql`insert into calls (id, account_id, campaign_id, to_e164, status, terminal) values (${callId}, ${theirs.id}, ${camp!.id}, '+60123456789', 'completed', true)`;
    const m = await consoleUser(ctx.sql, { accountId: mine.id, role: 'member' });
    const c = client();
    await c.signIn(m.email, PASSWORD);
    expect((await c.get(`/app/campaigns/${camp!.id}`)).status).toBe(404);
    expect((await c.get(`/app/calls/${callId}`)).status).toBe(404);
    expect((await c.get(`/app/calls?campaign=${camp!.id}`)).text).not.toContain('6789');
    expect((await c.get('/app/keys')).status).toBe(403);
    expect((await c.get('/app/admin')).status).toBe(403);
  });

  it("an owner issues a key (shown once) and revokes it; another account's key id is 404", async () => {
    const a = await createTestAccount(ctx.sql);
    const b = await createTestAccount(ctx.sql, { withKey: true });
    const u = await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' });
    const c = client();
    await c.signIn(u.email, PASSWORD);
    await c.get('/app/keys');
    const issued = await c.post('/app/keys', { label: 'prod' });
    const key = /<code class="secret" id="new-key">(ak_[\w-]+)<\/code>/.exec(issued.text)![1]!;
    expect((await api.call('GET', '/v1/credits', { key })).status).toBe(200);
    const list = await c.get('/app/keys');
    expect(list.text).not.toContain(key);
    const [row] = await ctx.sql`select id from api_keys where account_id = ${a.id}`;
    const [other] = await ctx.sql`select id from api_keys where account_id = ${b.id}`;
    expect((await c.post(`/app/keys/${other!.id}/revoke`)).status).toBe(404);
    expect((await c.post(`/app/keys/${row!.id}/revoke`)).status).toBe(303);
    expect((await api.call('GET', '/v1/credits', { key })).status).toBe(401);
    expect((await api.call('GET', '/v1/credits', { key: b.apiKey })).status).toBe(200);
  });

  it('masks numbers to the last four digits, except on the call detail for owners', async () => {
    const a = await createTestAccount(ctx.sql);
    const callId = crypto.randomUUID();
    await ctx.sql`insert into calls (id, account_id, to_e164, status, terminal) values (${callId}, ${a.id}, '+60129876543', 'completed', true)`;
    const owner = client();
    await owner.signIn((await consoleUser(ctx.sql, { accountId: a.id, role: 'owner' })).email, PASSWORD);
    const member = client();
    await member.signIn((await consoleUser(ctx.sql, { accountId: a.id, role: 'member' })).email, PASSWORD);
    const list = await owner.get('/app/calls');
    expect(list.text).toContain('…6543');
    expect(list.text).not.toContain('+60129876543');
    expect((await owner.get(`/app/calls/${callId}`)).text).toContain('+60129876543');
    const m = await member.get(`/app/calls/${callId}`);
    expect(m.text).toContain('…6543');
    expect(m.text).not.toContain('+60129876543');
    const csv = await member.get('/app/calls.csv');
    expect(csv.text).not.toContain('+60129876543');
  });
});
