import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { startBillingStack } from '../billing/harness';
import { createTestAccount } from '../helpers/accounts';
import { createLedger } from '../../lib/ledger';
import { billplzSignature, verifyBillplzCallback, verifyBillplzRedirect } from '../../providers/billplz/signature';

let stack: Awaited<ReturnType<typeof startBillingStack>>;
const ADMIN = 'ak_admin_test_key_for_billing_tests_only';
beforeAll(async () => {
  stack = await startBillingStack();
});
afterAll(() => stack.close());

describe('accounts and API keys', () => {
  it('an admin creates an account and issues a key shown once and stored only as a hash', async () => {
    const created = await stack.api.call('POST', '/v1/admin/accounts', {
      key: ADMIN,
      body: { name: 'Acme Sdn Bhd', billingEmail: 'ops@acme.example' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const issued = await stack.api.call('POST', `/v1/admin/accounts/${id}/keys`, { key: ADMIN, body: { label: 'prod' } });
    expect(issued.status).toBe(201);
    expect(issued.body.key).toMatch(/^ak_[A-Za-z0-9_-]{43}$/);
    const stored = await stack.ctx.sql`select key_hash, prefix from api_keys where id = ${issued.body.id}`;
    expect(stored[0]!.key_hash).not.toContain(issued.body.key);
    expect(JSON.stringify(stored)).not.toContain(issued.body.key);
    const detail = await stack.api.call('GET', `/v1/admin/accounts/${id}`, { key: ADMIN });
    expect(detail.body.keys).toHaveLength(1);
    expect(JSON.stringify(detail.body)).not.toContain(issued.body.key);
    expect((await stack.api.call('GET', '/v1/credits', { key: issued.body.key })).status).toBe(200);
  });

  it('a revoked key is 401; a client key on an admin route is 403', async () => {
    const a = await createTestAccount(stack.ctx.sql, { withKey: true });
    expect((await stack.api.call('GET', '/v1/admin/accounts', { key: a.apiKey })).status).toBe(403);
    expect((await stack.api.call('POST', '/v1/admin/accounts', { key: a.apiKey, body: { name: 'x' } })).status).toBe(403);
    const [k] = await stack.ctx.sql<{ id: string }[]>`select id from api_keys where account_id = ${a.id}`;
    const revoked = await stack.api.call('POST', `/v1/admin/keys/${k!.id}/revoke`, { key: ADMIN });
    expect(revoked.body).toMatchObject({ revoked: true, alreadyRevoked: false });
    expect((await stack.api.call('POST', `/v1/admin/keys/${k!.id}/revoke`, { key: ADMIN })).body.alreadyRevoked).toBe(true);
    const after = await stack.api.call('GET', '/v1/credits', { key: a.apiKey });
    expect(after.status).toBe(401);
    expect(after.body.message).toMatch(/revoked/);
  });

  it("account A cannot see account B's balance, statement or top-ups", async () => {
    const a = await createTestAccount(stack.ctx.sql, { withKey: true });
    const b = await createTestAccount(stack.ctx.sql, { withKey: true });
    await createLedger(stack.ctx.sql).credit({ accountId: b.id, amount: 42, key: `t/${b.id}`, reason: 'b only' });
    const bTopup = await stack.api.call('POST', '/v1/credits/topups', {
      key: b.apiKey,
      body: { amount: 1_000, email: 'b@example.com' },
    });
    expect(bTopup.status).toBe(201);
    expect((await stack.api.call('GET', '/v1/credits', { key: a.apiKey })).body.available).toBe(0);
    expect((await stack.api.call('GET', '/v1/credits/statement', { key: a.apiKey })).body.entries).toEqual([]);
    expect((await stack.api.call('GET', '/v1/credits/topups', { key: a.apiKey })).body.topups).toEqual([]);
    expect((await stack.api.call('GET', `/v1/credits/topups/${bTopup.body.id}`, { key: a.apiKey })).status).toBe(404);
    expect((await stack.api.call('GET', `/v1/credits/topups/${bTopup.body.id}`, { key: b.apiKey })).status).toBe(200);
    // account ids in the body are not accepted: the key decides
    expect(
      (
        await stack.api.call('POST', '/v1/credits/topups', {
          key: a.apiKey,
          body: { amount: 1_000, email: 'a@example.com', accountId: b.id },
        })
      ).status,
    ).toBe(400);
  });

  it('validates admin input', async () => {
    expect((await stack.api.call('POST', '/v1/admin/accounts', { key: ADMIN, body: { name: '' } })).status).toBe(400);
    expect(
      (await stack.api.call('POST', '/v1/admin/accounts', { key: ADMIN, body: { name: 'x', currency: 'usd' } })).status,
    ).toBe(400);
    expect((await stack.api.call('GET', '/v1/admin/accounts/not-a-uuid', { key: ADMIN })).status).toBe(404);
    expect(
      (await stack.api.call('POST', '/v1/admin/accounts/00000000-0000-4000-8000-000000000000/keys', { key: ADMIN, body: {} }))
        .status,
    ).toBe(404);
    expect((await stack.api.call('POST', '/v1/admin/accounts', { key: ADMIN, body: { name: 'x', role: 'admin' } })).status).toBe(
      400,
    );
  });
});

describe('rate limiting', () => {
  it('limits each key on its own and says when to retry', async () => {
    const limited = await startBillingStack({ rate: { perSec: 1, burst: 3 } });
    try {
      const a = await createTestAccount(limited.ctx.sql, { withKey: true });
      const b = await createTestAccount(limited.ctx.sql, { withKey: true });
      const codes = [];
      for (let i = 0; i < 5; i++) codes.push((await limited.api.call('GET', '/v1/credits', { key: a.apiKey })).status);
      expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
      expect(codes.slice(3)).toEqual([429, 429]);
      const r = await limited.api.call('GET', '/v1/credits', { key: a.apiKey });
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await limited.api.call('GET', '/v1/credits', { key: b.apiKey })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('Billplz X-Signature', () => {
  const key = 'S-test-key';
  it('signs sorted key+value strings joined with | (hand-computed vector)', () => {
    const fields = { id: 'W_79pJDk', paid: 'true', amount: '200', collection_id: 'inbmmepb', x_signature: 'ignored' };
    const source = 'amount200|collection_idinbmmepb|idW_79pJDk|paidtrue';
    expect(billplzSignature(fields, key)).toBe(createHmac('sha256', key).update(source).digest('hex'));
  });
  it('sorts case-insensitively (a case-sensitive sort would put Bname first)', () => {
    expect(billplzSignature({ cx: '', Bname: '', amount: '1' }, key)).toBe(
      createHmac('sha256', key).update('amount1|Bname|cx').digest('hex'),
    );
  });
  it('verifies redirects over billplzid/billplzpaid/billplzpaid_at', () => {
    const src = 'billplzidW_79pJDk|billplzpaid_at2015-03-09 16:23:59 +0800|billplzpaidtrue';
    const sig = createHmac('sha256', key).update(src).digest('hex');
    const q = {
      'billplz[id]': 'W_79pJDk',
      'billplz[paid]': 'true',
      'billplz[paid_at]': '2015-03-09 16:23:59 +0800',
      'billplz[x_signature]': sig,
    };
    expect(verifyBillplzRedirect(q, key)).toEqual({ id: 'W_79pJDk', paid: true, paidAt: '2015-03-09 16:23:59 +0800' });
    expect(verifyBillplzRedirect({ ...q, 'billplz[paid]': 'false' }, key)).toBeUndefined();
    expect(verifyBillplzCallback({ id: 'x', x_signature: sig }, key)).toBeUndefined();
  });
});

describe("operators' CLI", () => {
  it('creates an account, issues a working key and revokes it', async () => {
    const { execFileSync } = await import('node:child_process');
    const env = { ...process.env, DATABASE_URL: stack.ctx.databaseUrl };
    const run = (...args: string[]) =>
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], { env, encoding: 'utf8' });
    const account = JSON.parse(run('accounts', 'create', '--name', 'CLI Co', '--email', 'cli@example.com'));
    expect(account.name).toBe('CLI Co');
    const out = run('keys', 'issue', '--account', account.id, '--label', 'cli');
    const key = /key:\s+(ak_\S+)/.exec(out)![1]!;
    const keyId = /key id:\s+(\S+)/.exec(out)![1]!;
    expect((await stack.api.call('GET', '/v1/credits', { key })).status).toBe(200);
    expect(run('keys', 'revoke', keyId)).toContain('revoked');
    expect((await stack.api.call('GET', '/v1/credits', { key })).status).toBe(401);
    expect(() => run('keys', 'issue', '--account', 'nope')).toThrow(/UUID/);
  });
});
