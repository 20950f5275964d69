import type { Sql } from '../db';

/**
 * Which calls have a recording, and in what state (migrations/120_call_recordings.sql). The gateway
 * writes it as the recording goes; the API reads it for the call detail and the audio route.
 */
export interface RecordingCatalog {
  started(r: { callId: string; accountId: string; store: 'local' | 's3'; key: string }): Promise<void>;
  stored(callId: string, r: { bytes: number; durationMs: number }): Promise<void>;
  failed(callId: string, error: string): Promise<void>;
}

export type RecordingStatus = 'recording' | 'stored' | 'failed' | 'deleted';

export interface RecordingRow {
  callId: string;
  accountId: string;
  status: RecordingStatus;
  store: 'local' | 's3';
  key: string;
  bytes: number | null;
  durationMs: number | null;
  error: string | null;
  storedAt: Date | null;
  deletedAt: Date | null;
}

export function sqlRecordingCatalog(sql: Sql): RecordingCatalog {
  return {
    async started({ callId, accountId, store, key }) {
      // A reconnecting stream for the same call records again from scratch, over the same key.
      await sql`
        insert into call_recordings (call_id, account_id, status, store, object_key)
        values (${callId}, ${accountId}, 'recording', ${store}, ${key})
        on conflict (call_id) do update set status = 'recording', store = excluded.store, object_key = excluded.object_key,
          bytes = null, duration_ms = null, error = null, started_at = now(), stored_at = null, deleted_at = null`;
    },
    async stored(callId, { bytes, durationMs }) {
      await sql`update call_recordings set status = 'stored', bytes = ${bytes}, duration_ms = ${durationMs}, stored_at = now(), error = null where call_id = ${callId}`;
    },
    async failed(callId, error) {
      await sql`update call_recordings set status = 'failed', error = ${error.slice(0, 500)} where call_id = ${callId}`;
    },
  };
}

/** The recording of a call, if the account owns the call. */
export async function recordingOf(sql: Sql, accountId: string, callId: string): Promise<RecordingRow | undefined> {
  const [r] = await sql<RecordingRow[]>`
    select call_id as "callId", account_id as "accountId", status, store, object_key as key, bytes, duration_ms as "durationMs",
           error, stored_at as "storedAt", deleted_at as "deletedAt"
    from call_recordings where call_id = ${callId} and account_id = ${accountId}`;
  return r;
}

/** What the call detail says about its recording (null: the call was not recorded). */
export function recordingSummary(r: RecordingRow | undefined) {
  if (!r) return null;
  return {
    status: r.status,
    available: r.status === 'stored',
    bytes: r.bytes === null ? null : Number(r.bytes),
    durationMs: r.durationMs,
    ...(r.status === 'failed' ? { error: r.error } : {}),
    ...(r.deletedAt ? { deletedAt: r.deletedAt.toISOString() } : {}),
    url: r.status === 'stored' ? `/v1/calls/${r.callId}/recording` : null,
  };
}
