import { readFile } from 'node:fs/promises';
import type { Sql } from '../lib/db';
import type { ManagedProcess } from '../scripts/dev/processes';

/**
 * What the load run measures around its campaigns, as counter snapshots taken before and after:
 * Temporal's billable actions (the dev server's `action` counter, which is what Temporal Cloud
 * bills), Postgres rows written and transactions committed in the run's database, and the CPU time
 * of every stack process (from /proc, so Linux only).
 */
export interface Snapshot {
  at: number;
  actions: number | undefined;
  pg: { rowsWritten: number; commits: number };
  /** CPU seconds (user + system) per process name. */
  cpu: Record<string, number>;
}

const TICKS_PER_SEC = 100; // USER_HZ on Linux

async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SEC; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

/** Sum of the `action` counter's series in a Prometheus text page (the Temporal server's billable actions). */
export function actionsFromMetrics(text: string): number {
  let n = 0;
  for (const line of text.split('\n')) {
    const m = /^action(?:_total)?(?:\{[^}]*\})?\s+([0-9.eE+-]+)/.exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}

export async function snapshot(sql: Sql, processes: ManagedProcess[], temporalMetricsUrl: string | undefined): Promise<Snapshot> {
  let actions: number | undefined;
  if (temporalMetricsUrl) {
    try {
      actions = actionsFromMetrics(await (await fetch(temporalMetricsUrl, { signal: AbortSignal.timeout(10_000) })).text());
    } catch {
      actions = undefined;
    }
  }
  await sql`select pg_stat_clear_snapshot()`;
  const [pg] = await sql<{ rows: number; commits: number }[]>`
    select (tup_inserted + tup_updated + tup_deleted)::float8 as rows, xact_commit::float8 as commits
    from pg_stat_database where datname = current_database()`;
  const cpu: Record<string, number> = {};
  for (const p of processes) {
    const s = p.child.pid ? await cpuSeconds(p.child.pid) : undefined;
    if (s !== undefined) cpu[p.name] = s;
  }
  return { at: Date.now(), actions, pg: { rowsWritten: pg!.rows, commits: pg!.commits }, cpu };
}
