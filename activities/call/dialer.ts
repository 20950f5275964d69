import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Config } from '../../lib/config';
import type { Sql } from '../../lib/db';
import { maskPhone } from '../../lib/logger';
import { mintMediaToken } from '../../lib/media-token';
import { mediaStreamUrl } from '../../lib/media-stream';
import type { Telephony } from '../../providers/types';
import { classifyTwilioError, type TelephonyErrorKind } from '../../providers/twilio/errors';
import { noteProviderError } from '../../lib/provider-errors';
import { twilioCallbackUrl, TWILIO_AMD_PATH, TWILIO_STATUS_PATH } from '../../providers/twilio/callbacks';
import { DIAL_FAILURE, type DialArgs, type DialerActivities, type DialResult } from './types';

export interface DialerDeps {
  sql: Sql;
  log: Logger;
  config: Pick<Config, 'APP_ORIGIN' | 'MEDIA_PUBLIC_URL' | 'MEDIA_TOKEN_SECRET' | 'MEDIA_TOKEN_TTL_SEC'>;
  telephony: Telephony;
  fromNumber: string;
}

const FAILURE_TYPE: Record<TelephonyErrorKind, string> = {
  invalid_number: DIAL_FAILURE.invalidNumber,
  destination_blocked: DIAL_FAILURE.destinationBlocked,
  account: DIAL_FAILURE.account,
  rejected: DIAL_FAILURE.rejected,
  rate_limited: DIAL_FAILURE.rateLimited,
  unavailable: DIAL_FAILURE.unavailable,
};

/** Provider clocks and ours differ; a lost call is looked for this far before our claim. */
const LOOKUP_SLACK_MS = 30_000;

/**
 * Dials at most once per callId, across retries, worker crashes and lost responses.
 *
 * Twilio has no idempotency key for creating calls, so the calls row is the record:
 *  1. A SID recorded → the call exists; return it (a retry after the SID was saved).
 *  2. Claim: dial_state = 'started' is committed *before* the REST create.
 *  3. Create; on success record the SID (dial_state = 'dialed').
 *     On a failure that carries a Twilio error body (any 4xx/5xx with a code), Twilio answered that
 *     it did not create the call: the claim is cleared, so the retry dials afresh.
 *     On anything else — network error, timeout, a proxy's bare 502, or a crash — the claim stays.
 *  4. A retry that finds a claim without a SID lists the provider's calls to the same number from
 *     our number since the claim, and adopts one no other call row has recorded. Found nothing →
 *     dial_state = 'unknown' and the workflow is told so: it does not dial again, but waits for the
 *     call's own status callbacks (they carry the callId), and fails the attempt with the hold
 *     voided when none come.
 * Two attempts never run the create concurrently in practice: a retry starts only after the
 * previous attempt's start-to-close timeout (30 s), well past the REST client's timeout (10 s).
 */
export function createDialerActivities({ sql, log, config, telephony, fromNumber }: DialerDeps): DialerActivities {
  return {
    async callDial(args: DialArgs): Promise<DialResult> {
      const { callId } = args;
      const read = async () =>
        (
          await sql<{ dial_state: string | null; provider_call_sid: string | null; dial_started_at: Date | null }[]>`
          select dial_state, provider_call_sid, dial_started_at from calls where id = ${callId}`
        )[0];
      let row = await read();
      if (!row) throw ApplicationFailure.nonRetryable(`call ${callId} has no row`, 'CallRowMissing');
      if (row.provider_call_sid) return { outcome: 'dialed', callSid: row.provider_call_sid, adopted: false };
      if (row.dial_state === 'unknown') return { outcome: 'unknown' };
      if (row.dial_state === 'started') return reconcile(args, row.dial_started_at!);

      if (!config.APP_ORIGIN || !config.MEDIA_PUBLIC_URL || !config.MEDIA_TOKEN_SECRET) {
        throw ApplicationFailure.nonRetryable(
          'APP_ORIGIN, MEDIA_PUBLIC_URL and MEDIA_TOKEN_SECRET must be set to dial',
          'ConfigError',
        );
      }
      const claimed = await sql`
        update calls set dial_state = 'started', dial_started_at = now(), from_e164 = ${fromNumber}, status = 'dialing', updated_at = now()
        where id = ${callId} and dial_state is null returning id`;
      if (claimed.length === 0) {
        row = await read();
        if (row?.provider_call_sid) return { outcome: 'dialed', callSid: row.provider_call_sid, adopted: false };
        return reconcile(args, row!.dial_started_at!);
      }

      let callSid: string;
      try {
        ({ callSid } = await telephony.dial({
          callId,
          to: args.to,
          from: fromNumber,
          streamUrl: mediaStreamUrl(config.MEDIA_PUBLIC_URL),
          streamToken: mintMediaToken(config.MEDIA_TOKEN_SECRET, callId, config.MEDIA_TOKEN_TTL_SEC),
          statusCallbackUrl: twilioCallbackUrl(config.APP_ORIGIN, TWILIO_STATUS_PATH, callId),
          amdStatusCallbackUrl: twilioCallbackUrl(config.APP_ORIGIN, TWILIO_AMD_PATH, callId),
          ringTimeoutSec: args.ringTimeoutSec,
          // Backstop only: the workflow hangs up at maxDurationSec and never bills past it.
          timeLimitSec: args.maxDurationSec + 60,
          machineDetection: true,
          machineDetectionMode: args.voicemailPolicy === 'leave_message' ? 'DetectMessageEnd' : 'Enable',
        }));
      } catch (err) {
        const te = classifyTwilioError(err);
        await noteProviderError(sql, log, {
          vendor: 'twilio',
          code: te.code ?? te.kind,
          httpStatus: te.httpStatus,
          unavailable: te.kind === 'unavailable',
          callId,
        });
        const definite = te.httpStatus !== undefined && te.code !== undefined;
        if (definite)
          await sql`update calls set dial_state = null, dial_started_at = null where id = ${callId} and provider_call_sid is null`;
        log.warn(
          { callId, to: maskPhone(args.to), kind: te.kind, code: te.code, status: te.httpStatus, definite },
          'dial failed',
        );
        throw ApplicationFailure.create({ message: te.message, type: FAILURE_TYPE[te.kind], nonRetryable: !te.retryable });
      }
      await record(sql, callId, callSid);
      log.info({ callId, callSid, to: maskPhone(args.to) }, 'dialed');
      return { outcome: 'dialed', callSid, adopted: false };
    },
  };

  function reconcile(args: DialArgs, claimedAt: Date): Promise<DialResult> {
    return findLostDial({ sql, log, telephony, fromNumber }, { callId: args.callId, to: args.to }, claimedAt);
  }
}

async function record(sql: Sql, callId: string, callSid: string) {
  await sql`update calls set provider_call_sid = ${callSid}, dial_state = 'dialed', dialed_at = coalesce(dialed_at, now()), updated_at = now() where id = ${callId}`;
}

/**
 * A dial was claimed and its outcome is not known (the create's reply was lost, or the attempt
 * crashed): looks for the call at the provider — calls from our number to the same number since
 * the claim — and adopts one that no other call row has recorded. Found nothing: dial_state
 * 'unknown', and the call is not dialed again (its own callbacks, which carry the callId, may
 * still come). Used by a dial retry and by the workflow after the dial activity gave up.
 */
export async function findLostDial(
  deps: { sql: Sql; log: Logger; telephony: Pick<Telephony, 'findCalls'>; fromNumber: string },
  args: { callId: string; to: string },
  claimedAt: Date,
): Promise<DialResult> {
  const { sql, log, telephony, fromNumber } = deps;
  let found;
  try {
    found = await telephony.findCalls({
      to: args.to,
      from: fromNumber,
      createdAfter: new Date(claimedAt.getTime() - LOOKUP_SLACK_MS),
    });
  } catch (err) {
    const te = classifyTwilioError(err);
    throw ApplicationFailure.create({
      message: `looking up a possibly created call: ${te.message}`,
      type: FAILURE_TYPE[te.kind],
      nonRetryable: !te.retryable,
    });
  }
  const sids = found.map((c) => c.callSid);
  const taken = new Set(
    sids.length
      ? (
          await sql<{ provider_call_sid: string }[]>`select provider_call_sid from calls where provider_call_sid in ${sql(sids)}`
        ).map((r) => r.provider_call_sid)
      : [],
  );
  const candidate = found.filter((c) => !taken.has(c.callSid)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())[0];
  if (candidate) {
    await record(sql, args.callId, candidate.callSid);
    log.warn(
      { callId: args.callId, callSid: candidate.callSid },
      'dial response was lost; adopted the call found at the provider',
    );
    return { outcome: 'dialed', callSid: candidate.callSid, adopted: true };
  }
  await sql`update calls set dial_state = 'unknown', updated_at = now() where id = ${args.callId} and provider_call_sid is null`;
  log.error(
    { callId: args.callId, to: maskPhone(args.to) },
    'dial outcome unknown: no call found at the provider; not dialing again',
  );
  return { outcome: 'unknown' };
}
