import type { Sql } from '../db';
import type { RecordingStore } from './store';

/**
 * Per-account retention: a stored recording older than its account's recording_retention_days is
 * deleted from the store, and its row marked `deleted` (kept, so the call detail can say so). Safe
 * to run twice or concurrently: deleting an object is idempotent and a row moves to `deleted` once.
 * Works in batches, oldest first, so one run with a large backlog stays short.
 */
export async function deleteExpiredRecordings(
  sql: Sql,
  store: RecordingStore,
  opts: { limit?: number } = {},
): Promise<{ deleted: number; failed: number; more: boolean }> {
  const limit = opts.limit ?? 200;
  const rows = await sql<{ callId: string; key: string }[]>`
    select r.call_id as "callId", r.object_key as key
    from call_recordings r join accounts a on a.id = r.account_id
    where r.status = 'stored' and r.store = ${store.kind} and a.recording_retention_days is not null
      and r.stored_at < now() - make_interval(days => a.recording_retention_days)
    order by r.stored_at limit ${limit}`;
  let deleted = 0;
  let failed = 0;
  for (const r of rows) {
    try {
      await store.delete(r.key);
    } catch {
      failed++;
      continue; // left `stored`: the next run tries again
    }
    const done =
      await sql`update call_recordings set status = 'deleted', deleted_at = now() where call_id = ${r.callId} and status = 'stored'`;
    deleted += done.count;
  }
  return { deleted, failed, more: rows.length === limit };
}
