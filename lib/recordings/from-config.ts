import type { Config } from '../config';
import { LocalRecordingStore } from './local-store';
import { S3RecordingStore } from './s3-store';
import type { RecordingStore } from './store';

/** The configured store: S3 when RECORDINGS_S3_BUCKET is set, else RECORDINGS_DIR; undefined when RECORDINGS_DIR is `off` (recording off, S3 or not). */
export function recordingStoreFromConfig(config: Config): RecordingStore | undefined {
  if (config.RECORDINGS_DIR === 'off') return undefined;
  if (config.RECORDINGS_S3_BUCKET) {
    const keyId = config.RECORDINGS_S3_ACCESS_KEY_ID;
    const secret = config.RECORDINGS_S3_SECRET_ACCESS_KEY;
    if (!keyId !== !secret)
      throw new Error(
        'RECORDINGS_S3_ACCESS_KEY_ID and RECORDINGS_S3_SECRET_ACCESS_KEY go together: set both, or neither for the SDK default credentials',
      );
    return new S3RecordingStore({
      bucket: config.RECORDINGS_S3_BUCKET,
      endpoint: config.RECORDINGS_S3_ENDPOINT,
      region: config.RECORDINGS_S3_REGION,
      forcePathStyle: config.RECORDINGS_S3_FORCE_PATH_STYLE === 'true',
      accessKeyId: keyId,
      secretAccessKey: secret,
      prefix: config.RECORDINGS_S3_PREFIX,
    });
  }
  return new LocalRecordingStore(config.RECORDINGS_DIR);
}

/** Where the gateway writes a recording while its call runs; undefined when recording is off. */
export function recordingSpoolDir(config: Config): string | undefined {
  return config.RECORDINGS_DIR === 'off' ? undefined : `${config.RECORDINGS_DIR}/.spool`;
}
