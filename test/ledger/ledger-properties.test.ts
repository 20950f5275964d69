import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { testContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { ledgerViolations } from '../helpers/ledger-invariants';
import { createLedger, LedgerError, type Ledger } from '../../lib/ledger';
import type { Sql } from '../../lib/db';

let sql: Sql;
let ledger: Ledger;
let databaseUrl: string;

beforeAll(async () => {
  ({ sql, databaseUrl } = await testContext());
  ledger = createLedger(sql);
});

type Cmd =
  | { t: 'credit'; acct: number; amount: number }
  | { t: 'hold'; acct: number; amount: number }
  | { t: 'post'; hold: number; amount: number }
  | { t: 'void'; hold: number }
  | { t: 'replay'; of: number };

const cmd = fc.oneof(
  fc.record({ t: fc.constant('credit' as const), acct: fc.nat(1), amount: fc.integer({ min: 1, max: 5_000 }) }),
  fc.record({ t: fc.constant('hold' as const), acct: fc.nat(1), amount: fc.integer({ min: 1, max: 3_000 }) }),
  fc.record({ t: fc.constant('post' as const), hold: fc.nat(20), amount: fc.integer({ min: 0, max: 3_000 }) }),
  fc.record({ t: fc.constant('void' as const), hold: fc.nat(20) }),
  fc.record({ t: fc.constant('replay' as const), of: fc.nat(40) }),
);

describe('ledger invariants under random interleavings with replays', () => {
  it('never goes negative, books balance, and money is conserved', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(cmd, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        async (batches) => {
          const accounts = [(await createTestAccount(sql)).id, (await createTestAccount(sql)).id];
          const holds: string[] = [];
          const issued: (() => Promise<unknown>)[] = [];
          for (const batch of batches) {
            // each batch runs concurrently: its commands interleave inside Postgres
            const calls = batch.map((c) => {
              let run: () => Promise<unknown>;
              if (c.t === 'credit') {
                const k = randomUUID();
                run = () => ledger.credit({ accountId: accounts[c.acct]!, amount: c.amount, key: k, reason: 'p' });
              } else if (c.t === 'hold') {
                const k = randomUUID();
                holds.push(k);
                run = () => ledger.hold({ accountId: accounts[c.acct]!, amount: c.amount, key: k });
              } else if (c.t === 'post') {
                const hk = holds[c.hold % Math.max(holds.length, 1)] ?? 'none';
                const k = randomUUID();
                run = () => ledger.post({ holdKey: hk, amount: c.amount, key: k });
              } else if (c.t === 'void') {
                const hk = holds[c.hold % Math.max(holds.length, 1)] ?? 'none';
                const k = randomUUID();
                run = () => ledger.void({ holdKey: hk, key: k });
              } else {
                run = issued[c.of % Math.max(issued.length, 1)] ?? (async () => undefined);
              }
              issued.push(run);
              return run().catch((e) => {
                if (!(e instanceof LedgerError)) throw e; // typed refusals are fine; anything else is a bug
              });
            });
            await Promise.all(calls);
          }
          expect(await ledgerViolations(sql, accounts)).toEqual([]);
          for (const a of accounts) {
            const b = await ledger.balance(a);
            expect(b.available).toBeGreaterThanOrEqual(0);
            expect(b.held).toBeGreaterThanOrEqual(0);
            const [m] = await sql<{ credits: number; charged: number }[]>`
            select coalesce(sum(amount) filter (where op = 'credit'), 0)::bigint as credits,
                   coalesce(sum(amount) filter (where op = 'post'), 0)::bigint as charged
            from ledger_operations where account_id = ${a}`;
            expect(b.available + b.held).toBe(m!.credits - m!.charged);
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('crash safety', () => {
  it('a process killed inside a composed transaction leaves no partial state', async () => {
    const { id: a } = await createTestAccount(sql);
    await ledger.credit({ accountId: a, amount: 1_000, key: randomUUID(), reason: 'seed' });
    const hold = await ledger.hold({ accountId: a, amount: 600, key: randomUUID() });
    const settleKey = randomUUID();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/fixtures/post-then-hang.ts', databaseUrl, hold.holdKey, '250', settleKey],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => String(d).includes('ready') && resolve());
      child.once('exit', (code) => reject(new Error(`child exited ${code} before posting`)));
    });
    // inside the transaction the post happened; outside, nothing is visible yet
    expect(await ledger.balance(a)).toEqual({ available: 400, held: 600 });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // Postgres rolls the dead session's transaction back once it notices the closed socket
    for (
      let i = 0;
      i < 100 &&
      (await sql`select 1 from pg_stat_activity where application_name = 'aicall' and state = 'idle in transaction'`).length > 0;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await ledger.balance(a)).toEqual({ available: 400, held: 600 });
    const [h] = await sql`select hold_status as status from ledger_operations where key = ${hold.holdKey}`;
    expect(h!.status).toBe('pending');
    expect(await sql`select 1 from ledger_operations where key = ${settleKey}`).toHaveLength(0);
    // the retried settlement then applies exactly once
    const p = await ledger.post({ holdKey: hold.holdKey, amount: 250, key: settleKey });
    expect(p).toMatchObject({ charged: 250, released: 350, available: 750, held: 0 });
    expect(await ledger.post({ holdKey: hold.holdKey, amount: 250, key: settleKey })).toEqual(p);
    expect(await ledgerViolations(sql, [a])).toEqual([]);
  });

  it('a replay inside a caller transaction does not abort it (savepoint)', async () => {
    const { id: a } = await createTestAccount(sql);
    const k = randomUUID();
    await ledger.credit({ accountId: a, amount: 10, key: k, reason: 'once' });
    const r = await sql.begin(async (tx) => {
      const again = await ledger.credit({ accountId: a, amount: 10, key: k, reason: 'once' }, tx);
      const [row] = await tx<{ one: number }[]>`select 1 as one`;
      return { again, one: row!.one };
    });
    expect(r.one).toBe(1);
    expect(r.again.available).toBe(10);
    expect(await ledger.balance(a)).toEqual({ available: 10, held: 0 });
  });
});
