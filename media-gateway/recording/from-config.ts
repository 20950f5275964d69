import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import type { Sql } from '../../lib/db';
import { sqlRecordingCatalog } from '../../lib/recordings/catalog';
import { recordingSpoolDir, recordingStoreFromConfig } from '../../lib/recordings/from-config';
import { RecordingService } from './service';

/** The gateway's recordings as configured (RECORDINGS_*), or undefined when RECORDINGS_DIR is `off`. */
export function recordingsFromConfig(config: Config, sql: Sql, log: Logger): RecordingService | undefined {
  const store = recordingStoreFromConfig(config);
  const spoolDir = recordingSpoolDir(config);
  if (!store || !spoolDir) {
    log.info('call recording is off (RECORDINGS_DIR=off)');
    return undefined;
  }
  log.info({ store: store.kind, spoolDir }, 'calls are recorded');
  return new RecordingService({ store, spoolDir, catalog: sqlRecordingCatalog(sql), log });
}
