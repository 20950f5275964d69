export const RECORDING_RETENTION_SCHEDULE_ID = 'recording-retention';

export interface RecordingRetentionInput {
  /** Recordings deleted per activity call (default 200). */
  batch?: number;
  /** Batches per run at most; the next scheduled run goes on (default 50). */
  maxBatches?: number;
}

export interface RecordingRetentionResult {
  deleted: number;
  failed: number;
}
