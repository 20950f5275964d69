import { describe, expect, it, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { ledgerViolations } from '../helpers/ledger-invariants';
import {
  createLedger,
  type Ledger,
  InsufficientCredits,
  IdempotencyKeyReused,
  HoldNotFound,
  HoldAlreadyResolved,
  OverCharge,
  InvalidAmount,
  AccountNotFound,
  InvalidCursor,
  ledgerBooks,
} from '../../lib/ledger';
import type { Sql } from '../../lib/db';

let sql: Sql;
let ledger: Ledger;
const key = (p: string) => `${p}/${randomUUID()}`;

beforeAll(async () => {
  ({ sql } = await testContext());
  ledger = createLedger(sql);
});

async function funded(amount: number) {
  const { id } = await createTestAccount(sql);
  if (amount > 0) await ledger.credit({ accountId: id, amount, key: key('seed'), reason: 'test' });
  return id;
}

describe('credit', () => {
  it('adds to available and replays return the first result without a second credit', async () => {
    const a = await funded(0);
    const k = key('credit');
    const first = await ledger.credit({ accountId: a, amount: 5_000_000, key: k, reason: 'top-up' });
    expect(first).toMatchObject({ amount: 5_000_000, available: 5_000_000, held: 0 });
    await ledger.credit({ accountId: a, amount: 1, key: key('other'), reason: 'x' });
    const again = await ledger.credit({ accountId: a, amount: 5_000_000, key: k, reason: 'top-up' });
    expect(again).toEqual(first);
    expect(await ledger.balance(a)).toEqual({ available: 5_000_001, held: 0 });
  });

  it('refuses a reused key with different arguments, bad amounts and unknown accounts', async () => {
    const a = await funded(0);
    const k = key('credit');
    await ledger.credit({ accountId: a, amount: 10, key: k, reason: 'r' });
    await expect(ledger.credit({ accountId: a, amount: 11, key: k, reason: 'r' })).rejects.toBeInstanceOf(IdempotencyKeyReused);
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      await expect(ledger.credit({ accountId: a, amount: bad, key: key('bad'), reason: 'r' })).rejects.toBeInstanceOf(
        InvalidAmount,
      );
    }
    await expect(ledger.credit({ accountId: randomUUID(), amount: 1, key: key('nobody'), reason: 'r' })).rejects.toBeInstanceOf(
      AccountNotFound,
    );
    await expect(ledger.balance(randomUUID())).rejects.toBeInstanceOf(AccountNotFound);
  });
});

describe('hold, post, void', () => {
  it('hold moves available to held; post charges and releases the rest; replays change nothing', async () => {
    const a = await funded(1_000_000);
    const hk = key('call') + ':hold';
    const h = await ledger.hold({ accountId: a, amount: 400_000, key: hk });
    expect(h).toMatchObject({ holdKey: hk, amount: 400_000, available: 600_000, held: 400_000 });
    expect(await ledger.hold({ accountId: a, amount: 400_000, key: hk })).toEqual(h);
    expect(await ledger.balance(a)).toEqual({ available: 600_000, held: 400_000 });

    const pk = key('settle');
    const p = await ledger.post({ holdKey: hk, amount: 150_000, key: pk });
    expect(p).toMatchObject({ charged: 150_000, released: 250_000, available: 850_000, held: 0 });
    expect(await ledger.post({ holdKey: hk, amount: 150_000, key: pk })).toEqual(p);
    expect(await ledger.balance(a)).toEqual({ available: 850_000, held: 0 });
    expect(await ledgerViolations(sql, [a])).toEqual([]);
  });

  it('a hold is resolved exactly once', async () => {
    const a = await funded(1_000_000);
    const hk = key('hold');
    await ledger.hold({ accountId: a, amount: 100, key: hk });
    const v = await ledger.void({ holdKey: hk, key: key('void') });
    expect(v).toMatchObject({ released: 100, available: 1_000_000, held: 0 });
    await expect(ledger.post({ holdKey: hk, amount: 1, key: key('post') })).rejects.toBeInstanceOf(HoldAlreadyResolved);
    await expect(ledger.void({ holdKey: hk, key: key('void2') })).rejects.toBeInstanceOf(HoldAlreadyResolved);
    expect(await ledger.balance(a)).toEqual({ available: 1_000_000, held: 0 });
  });

  it('posting more than held is a typed error and changes nothing', async () => {
    const a = await funded(1_000);
    const hk = key('hold');
    await ledger.hold({ accountId: a, amount: 500, key: hk });
    await expect(ledger.post({ holdKey: hk, amount: 501, key: key('post') })).rejects.toBeInstanceOf(OverCharge);
    expect(await ledger.balance(a)).toEqual({ available: 500, held: 500 });
    const full = await ledger.post({ holdKey: hk, amount: 500, key: key('post') });
    expect(full).toMatchObject({ charged: 500, released: 0, available: 500, held: 0 });
    const zero = await ledger.hold({ accountId: a, amount: 100, key: key('h2') });
    expect(await ledger.post({ holdKey: zero.holdKey, amount: 0, key: key('p0') })).toMatchObject({ charged: 0, released: 100 });
    expect(await ledgerViolations(sql, [a])).toEqual([]);
  });

  it('insufficient credit is a typed error, never a negative balance', async () => {
    const a = await funded(999);
    const err = await ledger.hold({ accountId: a, amount: 1_000, key: key('h') }).catch((e) => e);
    expect(err).toBeInstanceOf(InsufficientCredits);
    expect(err).toMatchObject({ requested: 1_000, available: 999 });
    const empty = await funded(0);
    await expect(ledger.hold({ accountId: empty, amount: 1, key: key('h') })).rejects.toBeInstanceOf(InsufficientCredits);
    expect(await ledger.balance(a)).toEqual({ available: 999, held: 0 });
  });

  it('unknown holds and reused keys are errors', async () => {
    const a = await funded(1_000);
    await expect(ledger.post({ holdKey: 'nope', amount: 1, key: key('p') })).rejects.toBeInstanceOf(HoldNotFound);
    await expect(ledger.void({ holdKey: 'nope', key: key('v') })).rejects.toBeInstanceOf(HoldNotFound);
    const h1 = await ledger.hold({ accountId: a, amount: 10, key: key('h') });
    const h2 = await ledger.hold({ accountId: a, amount: 10, key: key('h') });
    const pk = key('p');
    await ledger.post({ holdKey: h1.holdKey, amount: 5, key: pk });
    await expect(ledger.post({ holdKey: h2.holdKey, amount: 5, key: pk })).rejects.toBeInstanceOf(IdempotencyKeyReused);
    await expect(ledger.void({ holdKey: h1.holdKey, key: pk })).rejects.toBeInstanceOf(IdempotencyKeyReused);
    await expect(ledger.hold({ accountId: a, amount: 11, key: h2.holdKey })).rejects.toBeInstanceOf(IdempotencyKeyReused);
  });
});

describe('concurrency', () => {
  it('parallel holds against one account never overdraw it', async () => {
    const a = await funded(1_000_000);
    const results = await Promise.allSettled(
      Array.from({ length: 60 }, () => ledger.hold({ accountId: a, amount: 30_000, key: key('h') })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    const insufficient = results.filter((r) => r.status === 'rejected' && r.reason instanceof InsufficientCredits).length;
    expect(ok).toBe(33); // floor(1_000_000 / 30_000)
    expect(insufficient).toBe(27);
    expect(await ledger.balance(a)).toEqual({ available: 10_000, held: 990_000 });
    expect(await ledgerViolations(sql, [a])).toEqual([]);
  });

  it('the same key raced from many clients takes effect once', async () => {
    const a = await funded(1_000_000);
    const k = key('h');
    const results = await Promise.all(Array.from({ length: 20 }, () => ledger.hold({ accountId: a, amount: 1_000, key: k })));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await ledger.balance(a)).toEqual({ available: 999_000, held: 1_000 });
    const pk = key('p');
    await Promise.all(Array.from({ length: 20 }, () => ledger.post({ holdKey: k, amount: 700, key: pk })));
    expect(await ledger.balance(a)).toEqual({ available: 999_300, held: 0 });
  });
});

describe('statement', () => {
  it('lists the account operations in order with a cursor', async () => {
    const a = await funded(0);
    await ledger.credit({ accountId: a, amount: 100, key: key('c'), reason: 'first' });
    const h = await ledger.hold({ accountId: a, amount: 60, key: key('h') });
    await ledger.post({ holdKey: h.holdKey, amount: 20, key: key('p') });
    const page1 = await ledger.statement(a, { limit: 2 });
    expect(page1.entries.map((e) => e.op)).toEqual(['credit', 'hold']);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await ledger.statement(a, { limit: 2, cursor: page1.nextCursor });
    expect(page2.entries.map((e) => [e.op, e.amount, e.availableDelta, e.heldDelta, e.availableAfter])).toEqual([
      ['post', 20, 40, -60, 80],
    ]);
    expect(page2.nextCursor).toBeNull();
    const other = await funded(5);
    expect((await ledger.statement(other)).entries.every((e) => e.op === 'credit')).toBe(true);
  });
});

describe('metadata, statement ranges and the platform books', () => {
  it('credit keeps its metadata; a replay must carry the same metadata', async () => {
    const a = await funded(0);
    const k = key('topup');
    const meta = { billId: 'b_123', nested: { z: 1, a: [1, 2] } };
    await ledger.credit({ accountId: a, amount: 10, key: k, reason: 'top-up', metadata: meta });
    // key order does not matter, content does
    await ledger.credit({
      accountId: a,
      amount: 10,
      key: k,
      reason: 'top-up',
      metadata: { nested: { a: [1, 2], z: 1 }, billId: 'b_123' },
    });
    await expect(
      ledger.credit({ accountId: a, amount: 10, key: k, reason: 'top-up', metadata: { billId: 'b_999' } }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReused);
    await expect(ledger.credit({ accountId: a, amount: 10, key: k, reason: 'top-up' })).rejects.toBeInstanceOf(
      IdempotencyKeyReused,
    );
    const { entries } = await ledger.statement(a);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ op: 'credit', reason: 'top-up', metadata: meta });
    expect(await ledger.balance(a)).toEqual({ available: 10, held: 0 });
  });

  it('statement filters by time range and pages with cursor; a bad cursor is a typed error', async () => {
    const a = await funded(0);
    await ledger.credit({ accountId: a, amount: 1, key: key('c'), reason: 'old' });
    // A JS Date keeps milliseconds and Postgres keeps microseconds: read in the same millisecond
    // as 'old' was written, t would round down to before it. Let a few milliseconds pass first.
    await new Promise((r) => setTimeout(r, 20));
    const t = (await sql<{ t: Date }[]>`select clock_timestamp() as t`)[0]!.t;
    await new Promise((r) => setTimeout(r, 20));
    await ledger.credit({ accountId: a, amount: 2, key: key('c'), reason: 'new1' });
    await ledger.credit({ accountId: a, amount: 3, key: key('c'), reason: 'new2' });
    expect((await ledger.statement(a, { to: t })).entries.map((e) => e.reason)).toEqual(['old']);
    const p1 = await ledger.statement(a, { from: t, limit: 1 });
    expect(p1.entries.map((e) => e.reason)).toEqual(['new1']);
    const p2 = await ledger.statement(a, { from: t, limit: 1, cursor: String(p1.nextCursor) });
    expect(p2.entries.map((e) => e.reason)).toEqual(['new2']);
    expect(p2.nextCursor).toBeNull();
    await expect(ledger.statement(a, { cursor: 'abc' })).rejects.toBeInstanceOf(InvalidCursor);
    await expect(ledger.statement(a, { cursor: '-1' })).rejects.toBeInstanceOf(InvalidCursor);
  });

  it('the platform books sum to zero and every account balances', async () => {
    const a = await funded(5_000);
    const h = await ledger.hold({ accountId: a, amount: 3_000, key: key('h') });
    await ledger.post({ holdKey: h.holdKey, amount: 1_234, key: key('p') });
    const books = await ledgerBooks(sql);
    expect(books.funding + books.available + books.held + books.revenue).toBe(0);
    expect(books.revenue).toBeGreaterThanOrEqual(1_234);
    expect(await ledgerViolations(sql)).toEqual([]);
  });

  it('the audit detects a balance edited behind the ledger’s back', async () => {
    const a = await funded(100);
    await sql
      .begin(async (tx) => {
        await tx`update ledger_balances set available = available + 1 where account_id = ${a}`;
        const v = await ledgerViolations(tx as unknown as Sql, [a]);
        expect(v.join('\n')).toMatch(/available 101 != sum of deltas 100/);
        const books = await ledgerBooks(tx as unknown as Sql);
        expect(books.funding + books.available + books.held + books.revenue).toBe(1);
        throw new Error('undo');
      })
      .catch((e) => {
        if ((e as Error).message !== 'undo') throw e;
      });
    expect(await ledgerViolations(sql, [a])).toEqual([]);
  });
});
