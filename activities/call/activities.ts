import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Sql } from '../../lib/db';
import type { PriceList } from '../../lib/pricing';
import { noteProviderError } from '../../lib/provider-errors';
import { emitCallEnded, type WebhookEmitter } from '../../lib/webhooks';
import type { Telephony } from '../../providers/types';
import { classifyTwilioError } from '../../providers/twilio/errors';
import { beginCall, prepareCall } from './begin';
import { findLostDial } from './dialer';
import { finishCall } from './finish';
import type { CallLedger, SuppressionList } from './ports';
import type { CallActivities } from './types';

export interface CallActivityDeps {
  sql: Sql;
  log: Logger;
  ledger: CallLedger;
  /** This worker's price list: the hold is quoted from it once per call (callPrepare). */
  priceList: PriceList;
  suppression: SuppressionList;
  /** Hang-up, status and lost-dial look-ups run here; dialing is the dialer queue's (activities/call/dialer.ts). */
  telephony: Pick<Telephony, 'hangup' | 'fetchCall' | 'findCalls'>;
  /** Our Twilio number: a lost dial is looked for among the calls from it. */
  fromNumber: string;
  /** Where `call.ended` webhooks are emitted from once a call is settled; none: no webhooks. */
  webhooks?: WebhookEmitter & { apiOrigin?: string };
}

/**
 * How long the money step waits for its `call.ended` emit. The event and its deliveries are written
 * before the delivery workflows are started, and the webhooks sweep starts any it finds unstarted,
 * so giving up on a slow Temporal loses nothing and never holds the settled call's reply.
 */
const EMIT_WAIT_MS = 5_000;

/** Activities of callWorkflow on the orchestration queue. Each is idempotent by callId. */
export function createCallActivities(deps: CallActivityDeps): CallActivities {
  const { sql, log, telephony } = deps;
  const providerError = async (err: unknown, callId: string) => {
    const te = classifyTwilioError(err);
    await noteProviderError(sql, log, {
      vendor: 'twilio',
      code: te.code ?? te.kind,
      httpStatus: te.httpStatus,
      unavailable: te.kind === 'unavailable',
      callId,
    });
    return te;
  };

  return {
    async callPrepare(args) {
      return prepareCall(deps.priceList, args);
    },

    async callBegin(args) {
      return beginCall(deps, args);
    },

    async callDialRecord({ callId, to }) {
      const [row] = await sql<{ dial_state: string | null; provider_call_sid: string | null; dial_started_at: Date | null }[]>`
        select dial_state, provider_call_sid, dial_started_at from calls where id = ${callId}`;
      if (row?.provider_call_sid) return { reached: 'yes', callSid: row.provider_call_sid };
      if (!row?.dial_state) return { reached: 'no' };
      if (row.dial_state === 'unknown') return { reached: 'unknown' };
      // Claimed, and the last attempt did not learn the outcome: Twilio may have created the call.
      const found = await findLostDial(
        { sql, log, telephony, fromNumber: deps.fromNumber },
        { callId, to },
        row.dial_started_at!,
      );
      return found.outcome === 'dialed' ? { reached: 'yes', callSid: found.callSid } : { reached: 'unknown' };
    },

    async callHangup({ callId, callSid }) {
      try {
        await telephony.hangup(callSid);
      } catch (err) {
        const te = await providerError(err, callId);
        // A retryable failure is retried; a final one is logged, not thrown: Twilio's TimeLimit ends
        // the call anyway and billing is capped, so a failed hang-up must not fail the settlement.
        if (te.retryable) throw ApplicationFailure.retryable(te.message, 'TelephonyUnavailable');
        log.error({ callId, callSid, err: te.message }, 'hang-up failed; relying on the TimeLimit backstop');
      }
    },

    async callProviderStatus({ callId, callSid }) {
      try {
        const s = await telephony.fetchCall(callSid);
        log.warn(
          { callId, callSid, status: s?.status, durationSec: s?.durationSec },
          'status callback missing; asked the provider',
        );
        return s;
      } catch (err) {
        const te = await providerError(err, callId);
        throw ApplicationFailure.create({ message: te.message, type: 'TelephonyUnavailable', nonRetryable: !te.retryable });
      }
    },

    /**
     * Settles (or releases) the call, then emits `call.ended`. The emit never throws, and its dedup
     * key is the call id, so a retry after a lost reply (which finds the call settled) emits the
     * same event at most once; an emit lost to a crash after the commit is made by that retry.
     */
    async callFinish(args) {
      const result = await finishCall(deps, args);
      if (deps.webhooks) await boundedEmit(emitCallEnded(deps.webhooks, args.callId));
      return result;
    },
  };
}

async function boundedEmit(emit: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([emit, new Promise((resolve) => (timer = setTimeout(resolve, EMIT_WAIT_MS)))]);
  clearTimeout(timer);
}
