import { DefaultLogger, Runtime, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';

/** Routes the Temporal SDK's own logs through pino so every process logs one JSON format. */
export function installRuntimeLogger(log: Logger, level: LogLevel = 'WARN') {
  const map = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  Runtime.install({
    logger: new DefaultLogger(level, (entry) => log[map[entry.level]]({ ...(entry.meta ?? {}), sdk: true }, entry.message)),
  });
}

/**
 * Drain on SIGTERM/SIGINT (the SDK's Runtime catches them and calls Worker.shutdown): polling stops
 * at once, activities in flight get this long to finish (a dial, a settle: seconds) before they are
 * cancelled, and the process gives up at the force time. A stopper must wait longer than that
 * (scripts/dev/stack.ts waits 35 s).
 */
export const drainOnShutdown: Pick<WorkerOptions, 'shutdownGraceTime' | 'shutdownForceTime'> = {
  shutdownGraceTime: '25s',
  shutdownForceTime: '30s',
};
