import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import type { Sql } from '../../lib/db';
import { createTwilioTelephony } from '../../providers/twilio/adapter';
import { twilioSettings } from '../../providers/twilio/settings';
import type { Telephony } from '../../providers/types';
import { createCallActivities } from './activities';
import { createDialerActivities } from './dialer';
import { isSuppressed } from '../../lib/suppression';
import type { CallLedger, SuppressionList } from './ports';
import { callLedger } from './ledger-port';
import { createHoldSweeperActivities } from './sweeper';
import { loadPriceList, type PriceList } from '../../lib/pricing';

export { createCallActivities } from './activities';
export { createDialerActivities } from './dialer';
export { createHoldSweeperActivities } from './sweeper';
export type { CallActivities, DialerActivities, HoldSweeperActivities } from './types';

export interface CallWiringDeps {
  sql: Sql;
  config: Config;
  log: Logger;
  /** Default: lib/ledger on `sql`. */
  ledger?: CallLedger;
  /** Default: lib/pricing's list from PRICE_LIST_JSON over the defaults. */
  priceList?: PriceList;
  /** The do-not-call list. Default: lib/suppression's lists in Postgres (the account's and the platform's). */
  suppression?: SuppressionList;
  /** Defaults to the Twilio adapter from config (live account or simulator). */
  telephony?: Telephony;
  /** For the hold sweeper: it asks Temporal whether a call's workflow is closed. */
  temporal?: Client;
}

/** Orchestration-queue call activities (hang-up uses the same Twilio adapter as the dialer), and the hold sweeper's. */
export function callActivitiesFromConfig({
  sql,
  config,
  log,
  ledger,
  priceList,
  suppression,
  telephony,
  temporal,
}: CallWiringDeps) {
  let t = telephony;
  // Built lazily: a worker without Twilio configuration can still run every other workflow.
  const twilio = () => (t ??= createTwilioTelephony(twilioSettings(config)));
  const lazyTelephony: Telephony = {
    dial: (req) => twilio().dial(req),
    hangup: (sid) => twilio().hangup(sid),
    fetchCall: (sid) => twilio().fetchCall(sid),
    findCalls: (q) => twilio().findCalls(q),
  };
  const deps = {
    sql,
    log,
    ledger: ledger ?? callLedger(sql),
    priceList: priceList ?? loadPriceList(config.PRICE_LIST_JSON),
    suppression: suppression ?? doNotCallList(sql),
    telephony: lazyTelephony,
    // `call.ended` after settlement; without a Temporal client the deliveries wait for the webhooks sweep.
    webhooks: {
      sql,
      log,
      temporal,
      taskQueue: config.ORCHESTRATION_TASK_QUEUE,
      apiOrigin: config.APP_ORIGIN ?? `http://127.0.0.1:${config.API_PORT}`,
    },
    get fromNumber() {
      return twilioSettings(config).fromNumber;
    },
  };
  // Not spread: `fromNumber` is read only when a lost dial is looked for (a worker without Twilio settings runs the rest).
  return {
    ...createCallActivities(deps),
    ...createHoldSweeperActivities({ sql, log, ledger: deps.ledger, telephony: lazyTelephony, temporal }),
  };
}

export function dialerActivitiesFromConfig({
  sql,
  config,
  log,
  telephony,
}: Omit<CallWiringDeps, 'ledger' | 'priceList' | 'suppression' | 'temporal'>) {
  const settings = twilioSettings(config);
  return createDialerActivities({
    sql,
    log,
    config,
    telephony: telephony ?? createTwilioTelephony(settings),
    fromNumber: settings.fromNumber,
  });
}

/** lib/suppression behind the call's port: a number on the account's or the platform's list is not called. */
function doNotCallList(sql: Sql): SuppressionList {
  return { isSuppressed: async ({ accountId, e164 }) => (await isSuppressed(sql, accountId, e164)) !== null };
}
