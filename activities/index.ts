import type { Sql } from '../lib/db';
import type { Config } from '../lib/config';
import type { Logger } from 'pino';
import type { Client } from '@temporalio/client';
import { createSystemActivities } from './system';
import { createLedgerActivities } from './ledger';
import { createTopUpActivities } from './topup';
import { createCampaignActivities } from './campaign';
import { createBillplzGateway } from '../providers/billplz/adapter';
import { billplzSettings } from '../providers/billplz/settings';
import { callActivitiesFromConfig } from './call';
import { createAlertActivities } from './alerts';
import { loadPriceList } from '../lib/pricing';
import { createWebhookActivities } from './webhooks';
import { createAnalysisActivities } from './analysis';
import { createSuppressionActivities } from './suppression';
import { createChatModel } from '../providers';
import { createRecordingActivities } from './recordings';
import { recordingStoreFromConfig } from '../lib/recordings/from-config';

export interface ActivityDeps {
  sql: Sql;
  config: Config;
  log: Logger;
  /** Activities that address other workflows (resuming campaigns) use it. */
  temporal?: Client;
}

/** All activities of the orchestration task queue, built from their dependencies. */
export function createActivities(deps: ActivityDeps) {
  // One emitter for the campaign.* and topup.* webhooks (call.ended is the call wiring's own).
  const webhooks = { sql: deps.sql, log: deps.log, temporal: deps.temporal, taskQueue: deps.config.ORCHESTRATION_TASK_QUEUE };
  return {
    ...createSystemActivities(deps.sql),
    ...createLedgerActivities(deps.sql),
    ...createCampaignActivities({
      sql: deps.sql,
      log: deps.log,
      temporal: deps.temporal,
      priceList: loadPriceList(deps.config.PRICE_LIST_JSON),
      webhooks,
    }),
    ...createTopUpActivities({
      sql: deps.sql,
      log: deps.log,
      gateway: createBillplzGateway(billplzSettings(deps.config)),
      appOrigin: deps.config.APP_ORIGIN ?? `http://127.0.0.1:${deps.config.API_PORT}`,
      temporal: deps.temporal,
      webhooks,
    }),
    ...callActivitiesFromConfig(deps),
    ...createAlertActivities({
      sql: deps.sql,
      log: deps.log,
      globalWebhookUrl: deps.config.ALERT_WEBHOOK_URL,
      webhooks: { sql: deps.sql, log: deps.log, temporal: deps.temporal, taskQueue: deps.config.ORCHESTRATION_TASK_QUEUE },
    }),
    ...createSuppressionActivities({ sql: deps.sql, log: deps.log }),
    ...createAnalysisActivities({ sql: deps.sql, log: deps.log, chatModel: () => createChatModel(deps.config) }),
    ...createWebhookActivities({ sql: deps.sql, log: deps.log, config: deps.config, temporal: deps.temporal }),
    ...createRecordingActivities({ sql: deps.sql, log: deps.log, store: recordingStoreFromConfig(deps.config) }),
  };
}
export type Activities = ReturnType<typeof createActivities>;
