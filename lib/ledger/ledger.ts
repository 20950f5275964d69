import type postgres from 'postgres';
import type { Sql } from '../db';
import {
  AccountNotFound,
  HoldAlreadyResolved,
  HoldNotFound,
  IdempotencyKeyReused,
  InsufficientCredits,
  InvalidAmount,
  InvalidCursor,
  OverCharge,
} from './errors';

/**
 * The credit ledger. Each operation is ONE SQL statement (data-modifying CTEs), hence one atomic
 * transaction and one round trip: there is no point between two writes where a crash could leave
 * half an operation. Idempotency rides on the primary key of ledger_operations: a replay makes the
 * statement fail on that key (rolling back everything it did) and we answer from the journal.
 *
 * Every function takes `db`: the pool, or a caller's transaction to compose with its own writes
 * (then the statement runs in a savepoint so a replay does not abort the caller's transaction).
 */
export type Db = Sql | postgres.TransactionSql<Record<string, never>>;

export interface Balance {
  available: number;
  held: number;
}
export interface CreditResult extends Balance {
  key: string;
  amount: number;
}
export interface HoldResult extends Balance {
  holdKey: string;
  amount: number;
}
export interface PostResult extends Balance {
  key: string;
  holdKey: string;
  charged: number;
  released: number;
}
export interface VoidResult extends Balance {
  key: string;
  holdKey: string;
  released: number;
}

export interface StatementEntry {
  seq: number;
  key: string;
  op: 'credit' | 'hold' | 'post' | 'void';
  holdKey: string | null;
  amount: number;
  availableDelta: number;
  heldDelta: number;
  availableAfter: number;
  heldAfter: number;
  reason: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
}

interface OpRow {
  key: string;
  op: StatementEntry['op'];
  account_id: string;
  hold_key: string | null;
  amount: number;
  available_delta: number;
  held_delta: number;
  available_after: number;
  held_after: number;
  request: string;
}

function checkAmount(what: string, amount: number, allowZero: boolean) {
  if (!Number.isSafeInteger(amount) || amount < 0 || (!allowZero && amount === 0)) throw new InvalidAmount(what, amount);
}

/** Stable JSON (keys sorted at every depth) so a replay's arguments compare equal to the first call's. */
function canonical(o: Record<string, unknown>): string {
  const sortDeep = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortDeep);
    if (v && typeof v === 'object' && !(v instanceof Date)) {
      const obj = v as Record<string, unknown>;
      return Object.keys(obj)
        .sort()
        .reduce<Record<string, unknown>>((acc, k) => ((acc[k] = sortDeep(obj[k] ?? null)), acc), {});
    }
    return v ?? null;
  };
  return JSON.stringify(sortDeep(o));
}

// A used key shows up as a duplicate on the journal's primary key; the journal has the answer.
const KEY_CONSTRAINTS = new Set(['ledger_operations_pkey']);
const isDuplicateKey = (err: unknown) => {
  const e = err as { code?: string; constraint_name?: string };
  return e.code === '23505' && KEY_CONSTRAINTS.has(e.constraint_name ?? '');
};

async function once<T>(db: Db, run: (q: Db) => Promise<T>): Promise<T> {
  if ('savepoint' in db)
    return (db as postgres.TransactionSql<Record<string, never>>).savepoint((sp) => run(sp as unknown as Db)) as Promise<T>;
  return run(db);
}

async function journal(db: Db, key: string): Promise<OpRow | undefined> {
  const [row] = await db<OpRow[]>`
    select key, op, account_id, hold_key, amount, available_delta, held_delta, available_after, held_after, request
    from ledger_operations where key = ${key}`;
  return row;
}

/** Thrown by a diagnosis that finds the statement's precondition true now: run it again. */
const RETRY = Symbol('retry');

/**
 * Runs `write`; on a replayed key returns `fromJournal(first row)` if the arguments match. When
 * the write matched nothing and the key is new, `diagnose` names the refusal — or asks for a
 * retry when what the statement needed appeared meanwhile (e.g. a hold committed just after the
 * post's snapshot was taken).
 */
async function idempotent<T>(
  db: Db,
  key: string,
  request: string,
  write: () => Promise<T | undefined>,
  fromJournal: (r: OpRow) => T,
  diagnose: () => Promise<never>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let result: T | undefined;
    try {
      result = await write();
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
    if (result !== undefined) return result;
    const prior = await journal(db, key);
    if (prior) {
      if (prior.request !== request) throw new IdempotencyKeyReused(key);
      return fromJournal(prior);
    }
    try {
      return await diagnose();
    } catch (err) {
      if (err !== RETRY || attempt >= 3) throw err === RETRY ? new Error(`ledger: operation ${key} kept racing`) : err;
    }
  }
}

export function createLedger(pool: Sql) {
  async function balance(accountId: string, db: Db = pool): Promise<Balance> {
    const [row] = await db<Balance[]>`select available, held from ledger_balances where account_id = ${accountId}`;
    if (row) return row;
    const [acct] = await db`select 1 from accounts where id = ${accountId}`;
    if (!acct) throw new AccountNotFound(accountId);
    return { available: 0, held: 0 };
  }

  /** Adds credit (top-ups, manual adjustments): funding -> available. */
  async function credit(
    args: { accountId: string; amount: number; key: string; reason: string; metadata?: Record<string, unknown> },
    db: Db = pool,
  ): Promise<CreditResult> {
    checkAmount('credit amount', args.amount, false);
    // metadata is part of the request: a replay must carry the same annotation, or it is a reused key
    const request = canonical({
      op: 'credit',
      accountId: args.accountId,
      amount: args.amount,
      reason: args.reason,
      ...(args.metadata ? { metadata: args.metadata } : {}),
    });
    return idempotent(
      db,
      args.key,
      request,
      () =>
        once(db, async (q) => {
          const [row] = await q<Balance[]>`
          with acct as (
            insert into ledger_balances (account_id, available) values (${args.accountId}, ${args.amount})
            on conflict (account_id) do update
              set available = ledger_balances.available + excluded.available, updated_at = now()
            returning available, held
          ), op as (
            insert into ledger_operations (key, op, account_id, debit_book, credit_book, amount, available_delta, held_delta, available_after, held_after, request, reason, metadata)
            select ${args.key}, 'credit', ${args.accountId}, 'funding', 'available', ${args.amount}, ${args.amount}, 0, available, held, ${request}, ${args.reason}, ${args.metadata ? q.json(args.metadata as never) : null} from acct
          )
          select available, held from acct`;
          return row && { key: args.key, amount: args.amount, available: row.available, held: row.held };
        }),
      (r) => ({ key: r.key, amount: r.amount, available: r.available_after, held: r.held_after }),
      async () => {
        throw new AccountNotFound(args.accountId);
      },
    ).catch((err) => {
      if ((err as { code?: string }).code === '23503') throw new AccountNotFound(args.accountId);
      throw err;
    });
  }

  /** Reserves credit: available -> held. Never takes available below zero. */
  async function hold(args: { accountId: string; amount: number; key: string }, db: Db = pool): Promise<HoldResult> {
    checkAmount('hold amount', args.amount, false);
    const request = canonical({ op: 'hold', accountId: args.accountId, amount: args.amount });
    return idempotent(
      db,
      args.key,
      request,
      () =>
        once(db, async (q) => {
          const [row] = await q<Balance[]>`
          with acct as (
            update ledger_balances set available = available - ${args.amount}, held = held + ${args.amount}, updated_at = now()
            where account_id = ${args.accountId} and available >= ${args.amount}
            returning available, held
          ), op as (
            insert into ledger_operations (key, op, account_id, debit_book, credit_book, amount, available_delta, held_delta, available_after, held_after, hold_status, request)
            select ${args.key}, 'hold', ${args.accountId}, 'available', 'held', ${args.amount}, ${-args.amount}, ${args.amount}, available, held, 'pending', ${request} from acct
          )
          select available, held from acct`;
          return row && { holdKey: args.key, amount: args.amount, available: row.available, held: row.held };
        }),
      (r) => ({ holdKey: r.key, amount: r.amount, available: r.available_after, held: r.held_after }),
      async () => {
        const b = await balance(args.accountId, db);
        // a credit committed after the statement's snapshot: the hold may fit now
        if (b.available >= args.amount) throw RETRY;
        throw new InsufficientCredits(args.accountId, args.amount, b.available);
      },
    );
  }

  /** Why a post/void of `holdKey` matched nothing (and was not a replay). */
  async function diagnoseHold(db: Db, holdKey: string, amount?: number): Promise<never> {
    const [h] = await db<{ amount: number; status: string; resolved_by: string | null }[]>`
      select amount, hold_status as status, resolved_by from ledger_operations where key = ${holdKey} and op = 'hold'`;
    if (!h) throw new HoldNotFound(holdKey);
    if (h.status !== 'pending') throw new HoldAlreadyResolved(holdKey, h.status, h.resolved_by ?? '');
    if (amount !== undefined && amount > h.amount) throw new OverCharge(holdKey, amount, h.amount);
    throw RETRY;
  }

  /**
   * Resolves a pending hold: `charge` goes held -> revenue, the rest held -> available.
   * post() charges up to the held amount; void() is a post of nothing.
   */
  async function resolve(kind: 'post' | 'void', args: { holdKey: string; amount: number; key: string }, db: Db) {
    const status = kind === 'post' ? 'posted' : 'voided';
    const request = canonical(
      kind === 'post' ? { op: 'post', holdKey: args.holdKey, amount: args.amount } : { op: 'void', holdKey: args.holdKey },
    );
    return idempotent(
      db,
      args.key,
      request,
      () =>
        once(db, async (q) => {
          const [row] = await q<(Balance & { held_amount: number })[]>`
          with h as (
            update ledger_operations set hold_status = ${status}, resolved_by = ${args.key}
            where key = ${args.holdKey} and op = 'hold' and hold_status = 'pending' and amount >= ${args.amount}
            returning account_id, amount as held_amount
          ), acct as (
            update ledger_balances b
              set held = b.held - h.held_amount, available = b.available + (h.held_amount - ${args.amount}), updated_at = now()
            from h where b.account_id = h.account_id
            returning b.available, b.held, h.held_amount, h.account_id
          ), op as (
            insert into ledger_operations (key, op, account_id, debit_book, credit_book, hold_key, amount, available_delta, held_delta, available_after, held_after, request)
            select ${args.key}, ${kind}, account_id, 'held', ${kind === 'post' ? 'revenue' : 'available'}, ${args.holdKey}, ${args.amount},
                   held_amount - ${args.amount}, -held_amount, available, held, ${request}
            from acct
          )
          select available, held, held_amount from acct`;
          return (
            row && {
              key: args.key,
              holdKey: args.holdKey,
              charged: args.amount,
              released: row.held_amount - args.amount,
              available: row.available,
              held: row.held,
            }
          );
        }),
      (r) => {
        if (r.op !== kind || r.hold_key !== args.holdKey) throw new IdempotencyKeyReused(args.key);
        return {
          key: r.key,
          holdKey: args.holdKey,
          charged: r.amount,
          released: r.available_delta,
          available: r.available_after,
          held: r.held_after,
        };
      },
      () => diagnoseHold(db, args.holdKey, args.amount),
    );
  }

  async function post(args: { holdKey: string; amount: number; key: string }, db: Db = pool): Promise<PostResult> {
    checkAmount('post amount', args.amount, true);
    return resolve('post', args, db);
  }

  async function voidHold(args: { holdKey: string; key: string }, db: Db = pool): Promise<VoidResult> {
    const { charged: _c, ...r } = await resolve('void', { ...args, amount: 0 }, db);
    return r;
  }

  /** A hold's amount and state (pending, posted or voided); undefined when no hold has that key. */
  async function holdStatus(
    holdKey: string,
    db: Db = pool,
  ): Promise<{ status: 'pending' | 'posted' | 'voided'; amount: number } | undefined> {
    const [h] = await db<{ status: 'pending' | 'posted' | 'voided'; amount: number }[]>`
      select hold_status as status, amount from ledger_operations where key = ${holdKey} and op = 'hold'`;
    return h;
  }

  async function statement(
    accountId: string,
    opts: { from?: Date; to?: Date; limit?: number; cursor?: number | string | null } = {},
    db: Db = pool,
  ): Promise<{ entries: StatementEntry[]; nextCursor: number | null }> {
    const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
    // The cursor is the last seq of the previous page. Per account, seq order is commit order: an
    // operation takes the account's balance row lock before its journal row draws a seq.
    const cursor = opts.cursor ?? 0;
    if (!/^\d{1,15}$/.test(String(cursor))) throw new InvalidCursor(String(cursor));
    const rows = await db<StatementEntry[]>`
      select seq, key, op, hold_key as "holdKey", amount, available_delta as "availableDelta", held_delta as "heldDelta",
             available_after as "availableAfter", held_after as "heldAfter", reason, metadata, created_at as "createdAt"
      from ledger_operations
      where account_id = ${accountId}
        and seq > ${Number(cursor)}
        and created_at >= ${opts.from ?? new Date(0)}
        and created_at < ${opts.to ?? new Date('9999-01-01')}
      order by seq
      limit ${limit + 1}`;
    const more = rows.length > limit;
    const entries = rows.slice(0, limit).map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() }));
    return { entries, nextCursor: more ? entries[entries.length - 1]!.seq : null };
  }

  return { credit, hold, post, void: voidHold, holdStatus, balance, statement };
}

export type Ledger = ReturnType<typeof createLedger>;
