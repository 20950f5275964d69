/**
 * npm run bench:ledger — hold+post pairs per second from 16 concurrent clients, against pgbench's
 * built-in simple-update script (-N) at the same client count on the same server, in one run.
 * Each client works on its own account (as accounts do in production); scratch databases are
 * created and dropped. Env: BENCH_SECONDS (default 10), BENCH_CLIENTS (16), DATABASE_URL (server).
 * Last line: {"bench":"ledger","pairs_per_s":…,"pgbench_tps":…,"ratio":…}
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createSql, withDatabase } from '../lib/db';
import { createLedger } from '../lib/ledger';
import { dropDatabase, ensureDatabase, migrate } from '../lib/migrate';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const clients = Number(process.env.BENCH_CLIENTS ?? 16);
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const stamp = Date.now();
const ledgerDb = withDatabase(server, `aicall_bench_${stamp}`);
const pgbenchDb = withDatabase(server, `aicall_pgbench_${stamp}`);

async function ledgerPairs(): Promise<{ pairs: number; elapsed: number }> {
  await ensureDatabase(ledgerDb);
  await migrate(ledgerDb);
  const sql = createSql(ledgerDb, { max: clients });
  const ledger = createLedger(sql);
  const accounts: string[] = [];
  for (let i = 0; i < clients; i++) {
    const id = randomUUID();
    await sql`insert into accounts (id, name) values (${id}, ${`bench ${i}`})`;
    await ledger.credit({ accountId: id, amount: 1_000_000_000_000, key: `seed/${id}`, reason: 'bench' });
    accounts.push(id);
  }
  // warm the pool and the plans
  await Promise.all(
    accounts.map(async (a) => {
      const h = await ledger.hold({ accountId: a, amount: 1, key: `warm/${a}` });
      await ledger.post({ holdKey: h.holdKey, amount: 1, key: `warm/${a}:post` });
    }),
  );
  let pairs = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    accounts.map(async (a) => {
      let i = 0;
      while (performance.now() < deadline) {
        const k = `call/${a}/${i++}`;
        const h = await ledger.hold({ accountId: a, amount: 1_000_000, key: `${k}:hold` });
        await ledger.post({ holdKey: h.holdKey, amount: 123_456, key: `${k}:settle` });
        pairs++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  await sql.end();
  return { pairs, elapsed };
}

function pgbenchTps(): number {
  const u = new URL(pgbenchDb);
  const conn = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres')];
  const env = { ...process.env, PGPASSWORD: decodeURIComponent(u.password) };
  const db = u.pathname.slice(1);
  execFileSync('pgbench', [...conn, '-i', '-q', db], { env, stdio: 'ignore' });
  const out = execFileSync('pgbench', [...conn, '-N', '-n', '-c', String(clients), '-j', '2', '-T', String(seconds), db], {
    env,
    encoding: 'utf8',
  });
  const m = /tps = ([\d.]+) \(without initial connection time\)/.exec(out) ?? /tps = ([\d.]+)/.exec(out);
  if (!m) throw new Error(`could not read pgbench output:\n${out}`);
  return Number(m[1]);
}

try {
  const { pairs, elapsed } = await ledgerPairs();
  const pairsPerS = pairs / elapsed;
  console.log(
    `ledger: ${pairs} hold+post pairs in ${elapsed.toFixed(1)} s from ${clients} clients = ${pairsPerS.toFixed(0)} pairs/s`,
  );
  await ensureDatabase(pgbenchDb);
  const tps = pgbenchTps();
  console.log(`pgbench -N (simple update), ${clients} clients, ${seconds} s: ${tps.toFixed(0)} tps`);
  console.log(
    JSON.stringify({
      bench: 'ledger',
      pairs_per_s: Math.round(pairsPerS),
      pgbench_tps: Math.round(tps),
      ratio: Number((pairsPerS / tps).toFixed(3)),
    }),
  );
} finally {
  await dropDatabase(ledgerDb).catch(() => {});
  await dropDatabase(pgbenchDb).catch(() => {});
}
