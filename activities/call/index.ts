import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import type { Sql } from '../../lib/db';
import { createTwilioTelephony } from '../../providers/twilio/adapter';
import { twilioSettings } from '../../providers/twilio/settings';
import type { Telephony } from '../../providers/types';
import { createCallActivities } from './activities';
import { createDialerActivities } from './dialer';
import type { CallLedger, CallPricing } from './ports';
import { callLedger, callPricing } from './ledger-port';
import { loadPriceList } from '../../lib/pricing';

export { createCallActivities } from './activities';
export { createDialerActivities } from './dialer';
export type { CallActivities, DialerActivities } from './types';

export interface CallWiringDeps {
  sql: Sql;
  config: Config;
  log: Logger;
  /** Default: lib/ledger on `sql`. */
  ledger?: CallLedger;
  /** Default: lib/pricing's list from PRICE_LIST_JSON over the defaults. */
  pricing?: CallPricing;
  /** Defaults to the Twilio adapter from config (live account or simulator). */
  telephony?: Telephony;
}

/** Orchestration-queue call activities (hang-up uses the same Twilio adapter as the dialer). */
export function callActivitiesFromConfig({ sql, config, log, ledger, pricing, telephony }: CallWiringDeps) {
  let t = telephony;
  // Built lazily: a worker without Twilio configuration can still run every other workflow.
  const twilio = () => (t ??= createTwilioTelephony(twilioSettings(config)));
  return createCallActivities({
    sql,
    log,
    ledger: ledger ?? callLedger(sql),
    pricing: pricing ?? callPricing(loadPriceList(config.PRICE_LIST_JSON)),
    telephony: { hangup: (sid) => twilio().hangup(sid), fetchCall: (sid) => twilio().fetchCall(sid) },
  });
}

export function dialerActivitiesFromConfig({ sql, config, log, telephony }: Omit<CallWiringDeps, 'ledger' | 'pricing'>) {
  const settings = twilioSettings(config);
  return createDialerActivities({ sql, log, config, telephony: telephony ?? createTwilioTelephony(settings), fromNumber: settings.fromNumber });
}
