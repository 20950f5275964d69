import { describe, expect, it, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { createSql, type Sql } from '../../lib/db';
import { createLedger, ledgerViolations, type Ledger } from '../../lib/ledger';

let sql: Sql;
let ledger: Ledger;
let databaseUrl: string;

beforeAll(async () => {
  ({ sql, databaseUrl } = await testContext());
  ledger = createLedger(sql);
});

async function funded(amount: number) {
  const { id } = await createTestAccount(sql);
  await ledger.credit({ accountId: id, amount, key: randomUUID(), reason: 'seed' });
  return id;
}

const snapshot = async (a: string) => ({
  balance: await ledger.balance(a),
  ops: (
    await sql<{ key: string; op: string; hold_status: string | null }[]>`
    select key, op, hold_status from ledger_operations where account_id = ${a} order by seq`
  ).map((r) => `${r.op}:${r.hold_status ?? ''}:${r.key}`),
});

describe('crash safety: a connection killed mid-transaction', () => {
  it('pg_terminate_backend between a composed hold+post and the caller’s next write leaves nothing', async () => {
    const a = await funded(1_000);
    const before = await snapshot(a);
    const victim = createSql(databaseUrl, { max: 1, debugName: `aicall-victim-${randomUUID().slice(0, 8)}` });
    const victimLedger = createLedger(victim);
    let pid = 0;
    let reached = false;
    const holdKey = randomUUID();
    const settleKey = randomUUID();
    // A reserved connection with explicit BEGIN: the ledger runs as it would inside a caller's
    // transaction, and nothing tries to ROLLBACK over the socket the server closes.
    const conn = await victim.reserve();
    try {
      const [row] = await conn<{ pid: number }[]>`select pg_backend_pid() as pid`;
      pid = row!.pid;
      await conn`begin`;
      await victimLedger.hold({ accountId: a, amount: 600, key: holdKey }, conn as unknown as Sql);
      await victimLedger.post({ holdKey, amount: 250, key: settleKey }, conn as unknown as Sql);
      reached = true;
      // the caller's own write (e.g. call_costs) never gets to run: the backend dies here
      const sleeping = conn`select pg_sleep(30)`.then(
        () => 'finished',
        (e: Error) => e,
      );
      const [killed] = await sql<{ ok: boolean }[]>`select pg_terminate_backend(${pid}) as ok`;
      expect(killed!.ok).toBe(true);
      expect(await sleeping).toBeInstanceOf(Error);
    } finally {
      await victim.end({ timeout: 1 }).catch(() => {});
    }
    expect(reached).toBe(true);
    expect(await snapshot(a)).toEqual(before);
    // the retried operations then apply exactly once
    await ledger.hold({ accountId: a, amount: 600, key: holdKey });
    const p = await ledger.post({ holdKey, amount: 250, key: settleKey });
    expect(p).toMatchObject({ charged: 250, released: 350, available: 750, held: 0 });
    expect(await ledgerViolations(sql, [a])).toEqual([]);
  });

  it('a caller transaction that throws after composing ledger operations rolls them all back', async () => {
    const a = await funded(1_000);
    const h = await ledger.hold({ accountId: a, amount: 400, key: randomUUID() });
    const before = await snapshot(a);
    const boom = new Error('crash between statements');
    await expect(
      sql.begin(async (tx) => {
        await ledger.credit({ accountId: a, amount: 5, key: randomUUID(), reason: 'in tx' }, tx);
        await ledger.post({ holdKey: h.holdKey, amount: 100, key: randomUUID() }, tx);
        await ledger.hold({ accountId: a, amount: 50, key: randomUUID() }, tx);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await snapshot(a)).toEqual(before);
    expect(await ledgerViolations(sql, [a])).toEqual([]);
  });

  it('a typed refusal inside a caller transaction does not abort it', async () => {
    const a = await funded(100);
    const got = await sql.begin(async (tx) => {
      const err = await ledger.hold({ accountId: a, amount: 101, key: randomUUID() }, tx).catch((e) => e);
      const ok = await ledger.hold({ accountId: a, amount: 100, key: randomUUID() }, tx);
      return { err: (err as Error).name, ok };
    });
    expect(got.err).toBe('InsufficientCredits');
    expect(got.ok).toMatchObject({ available: 0, held: 100 });
    expect(await ledger.balance(a)).toEqual({ available: 0, held: 100 });
  });
});
