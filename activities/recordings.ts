import type { Logger } from 'pino';
import type { Sql } from '../lib/db';
import { deleteExpiredRecordings } from '../lib/recordings/retention';
import type { RecordingStore } from '../lib/recordings/store';

/** Activities of recordingRetentionWorkflow. Idempotent: a retried batch deletes nothing twice. */
export function createRecordingActivities({ sql, log, store }: { sql: Sql; log: Logger; store?: RecordingStore }) {
  return {
    async recordingsDeleteExpired({ limit }: { limit: number }) {
      // Recording off on this deployment: nothing was stored here to delete.
      if (!store) return { deleted: 0, failed: 0, more: false };
      const r = await deleteExpiredRecordings(sql, store, { limit });
      if (r.deleted || r.failed) log.info(r, 'expired recordings deleted');
      return r;
    },
  };
}
export type RecordingActivities = ReturnType<typeof createRecordingActivities>;
