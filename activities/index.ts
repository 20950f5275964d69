import type { Sql } from '../lib/db';
import type { Config } from '../lib/config';
import type { Logger } from 'pino';
import { createSystemActivities } from './system';
import { createLedgerActivities } from './ledger';
import { callActivitiesFromConfig } from './call';

export interface ActivityDeps {
  sql: Sql;
  config: Config;
  log: Logger;
}

/** All activities of the orchestration task queue, built from their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createSystemActivities(deps.sql),
    ...createLedgerActivities(deps.sql),
    ...callActivitiesFromConfig(deps),
  };
}
export type Activities = ReturnType<typeof createActivities>;
