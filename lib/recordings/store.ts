import type { Readable } from 'node:stream';

/**
 * Where finished recordings live. The gateway writes a call's WAV to a local spool file while the
 * call runs and hands the finished file to the store; the API reads it back (whole or a byte range,
 * for a player that seeks); the retention sweep deletes it. Keys are `<accountId>/<callId>.wav`.
 */
export interface RecordingStore {
  readonly kind: 'local' | 's3';
  /** Takes the finished file at `path` (moved or uploaded; the caller removes it afterwards if it still exists). */
  put(key: string, path: string): Promise<{ bytes: number }>;
  /** Size in bytes, or undefined when there is no such object. */
  size(key: string): Promise<number | undefined>;
  /** The object's bytes `start`..`end` inclusive (the whole object without a range). */
  read(key: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Removes the object; no error when it is already gone. */
  delete(key: string): Promise<void>;
}

export function recordingKey(accountId: string, callId: string): string {
  return `${accountId}/${callId}.wav`;
}

/** Keys name files and objects: only the shape recordingKey makes is accepted. */
export function checkKey(key: string): string {
  if (!/^[0-9a-f-]{36}\/[0-9a-f-]{36}\.wav$/i.test(key)) throw new Error(`not a recording key: ${key.slice(0, 80)}`);
  return key;
}
