import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../../lib/db';
import type { CallLedger, Tx } from '../../activities/call/ports';

/**
 * A stand-in ledger on Postgres with the real ledger's contract (idempotent by key, holds never
 * overdraw, exactly one post or void per hold), used by the call tests until activities/ledger.ts
 * lands. Durable, so a worker process killed mid-call leaves its hold where a new worker finds it.
 */
export async function pgTestLedger(sql: Sql) {
  await sql`select pg_advisory_lock(hashtext('test_call_ledger'))`;
  try {
    await sql`create table if not exists test_call_ledger (
      key text primary key, account_id uuid not null, kind text not null, hold_key text,
      amount bigint not null, charged bigint, at timestamptz not null default now())`;
    await sql`create unique index if not exists test_call_ledger_one_end on test_call_ledger(hold_key) where kind in ('post', 'void')`;
  } finally {
    await sql`select pg_advisory_unlock(hashtext('test_call_ledger'))`;
  }

  const balance = async (accountId: string, tx: Tx = sql) => {
    const [r] = await tx<{ available: number; held: number }[]>`
      select
        coalesce(sum(case kind when 'credit' then amount when 'hold' then -amount when 'post' then amount - charged when 'void' then amount else 0 end), 0)::int8 as available,
        coalesce(sum(case kind when 'hold' then amount when 'post' then -amount when 'void' then -amount else 0 end), 0)::int8 as held
      from test_call_ledger where account_id = ${accountId}`;
    return { availableMicro: r!.available, heldMicro: r!.held };
  };

  const existing = async (tx: Tx, key: string) => (await tx<{ kind: string; amount: number; charged: number | null; hold_key: string | null }[]>`select kind, amount, charged, hold_key from test_call_ledger where key = ${key}`)[0];
  const holdOf = async (tx: Tx, holdKey: string) => {
    const h = await existing(tx, holdKey);
    if (!h || h.kind !== 'hold') throw ApplicationFailure.nonRetryable(`no hold ${holdKey}`, 'HoldNotFound');
    const [acct] = await tx<{ account_id: string }[]>`select account_id from test_call_ledger where key = ${holdKey}`;
    return { amount: h.amount, accountId: acct!.account_id };
  };

  const ledger: CallLedger & {
    credit(accountId: string, amountMicro: number, key: string): Promise<void>;
    balance(accountId: string): Promise<{ availableMicro: number; heldMicro: number }>;
    ops(prefix: string): Promise<string[]>;
  } = {
    async credit(accountId, amountMicro, key) {
      await sql`insert into test_call_ledger (key, account_id, kind, amount) values (${key}, ${accountId}, 'credit', ${amountMicro}) on conflict do nothing`;
    },
    balance: (accountId) => balance(accountId),
    async ops(prefix) {
      return (await sql<{ kind: string }[]>`select kind from test_call_ledger where key like ${prefix + '%'} order by at, kind desc`).map((r) => r.kind);
    },
    async hold({ accountId, amountMicro, key }, tx) {
      await tx`select pg_advisory_xact_lock(hashtext(${accountId}))`;
      const prior = await existing(tx, key);
      if (prior) return { holdKey: key, amountMicro: prior.amount };
      if ((await balance(accountId, tx)).availableMicro < amountMicro) throw ApplicationFailure.nonRetryable('insufficient credits', 'InsufficientCredits');
      await tx`insert into test_call_ledger (key, account_id, kind, hold_key, amount) values (${key}, ${accountId}, 'hold', ${key}, ${amountMicro})`;
      return { holdKey: key, amountMicro };
    },
    async post({ holdKey, amountMicro, key }, tx) {
      const prior = await existing(tx, key);
      if (prior) return { chargedMicro: prior.charged!, releasedMicro: prior.amount - prior.charged! };
      const h = await holdOf(tx, holdKey);
      const charged = Math.min(amountMicro, h.amount);
      await tx`insert into test_call_ledger (key, account_id, kind, hold_key, amount, charged) values (${key}, ${h.accountId}, 'post', ${holdKey}, ${h.amount}, ${charged})`;
      return { chargedMicro: charged, releasedMicro: h.amount - charged };
    },
    async void({ holdKey, key }, tx) {
      const prior = await existing(tx, key);
      if (prior) return { releasedMicro: prior.amount };
      const h = await holdOf(tx, holdKey);
      await tx`insert into test_call_ledger (key, account_id, kind, hold_key, amount, charged) values (${key}, ${h.accountId}, 'void', ${holdKey}, ${h.amount}, 0)`;
      return { releasedMicro: h.amount };
    },
  };
  return ledger;
}
