import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

/** Routes the Temporal SDK's own logs through pino so every process logs one JSON format. */
export function installRuntimeLogger(log: Logger, level: LogLevel = 'WARN') {
  const map = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => log[map[entry.level]]({ ...(entry.meta ?? {}), sdk: true }, entry.message)),
  });
}
