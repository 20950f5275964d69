import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { Sql } from '../../lib/db';
import { callWorkflowId, campaignWorkflowId } from '../../lib/ids';
import type { PriceList } from '../../lib/pricing';
import type { Telephony } from '../../providers/types';
import { callStateQuery, type CallResult, type CallState, type CallTerminalStatus } from '../../workflows/call/contract';
import { callFinishedSignal } from '../../workflows/campaign/contract';
import type { CallEnding } from '../../workflows/call/lifecycle';
import { finalImpliesAnswer, isMachine, isProviderFinal } from '../../workflows/call/status';
import { finishCall } from './finish';
import type { CallLedger } from './ports';
import type { HoldSweeperActivities } from './types';

export interface HoldSweeperDeps {
  sql: Sql;
  log: Logger;
  ledger: CallLedger;
  telephony: Pick<Telephony, 'hangup' | 'fetchCall'>;
  temporal?: Client;
}

/** No maximum duration is stored on the row; the charge is capped by the hold itself (the charge of that maximum). */
const NO_DURATION_CAP = 7 * 24 * 3600;

interface CallRow {
  account_id: string;
  campaign_id: string | null;
  contact_id: string | null;
  attempt: number;
  status: string;
  settled_at: Date | null;
  provider_call_sid: string | null;
  answered_by: string | null;
  price_list_version: string | null;
  hold_amount: number | null;
  duration_sec: number | null;
  error: string | null;
  end_reason: string | null;
  dial_state: string | null;
}

/**
 * The hold sweeper (design: Money, "no stranded hold"): a call workflow that closed without its
 * money step — terminated by an operator, timed out, or failed in it — leaves its hold pending
 * and its campaign waiting. For each such call the sweeper hangs up a call still live at Twilio,
 * settles it on Twilio's duration if it was answered (with the usage and transcript the closed
 * workflow still answers by query) or voids the hold, marks the call terminal with end reason
 * `abandoned`, and reports it to its campaign as the workflow would have.
 */
export function createHoldSweeperActivities(deps: HoldSweeperDeps): HoldSweeperActivities {
  const { sql, log, telephony } = deps;
  const temporal = () =>
    deps.temporal ??
    (() => {
      throw ApplicationFailure.nonRetryable('the hold sweeper needs a Temporal client', 'ConfigError');
    })();

  async function workflowOpen(callId: string): Promise<boolean> {
    try {
      const d = await temporal().workflow.getHandle(callWorkflowId(callId)).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** What the closed run knew (usage, transcript, outcome), if it still answers: best effort. */
  async function lastState(callId: string): Promise<CallState | undefined> {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), 5_000);
    try {
      return await temporal().withAbortSignal(ac.signal, () =>
        temporal().workflow.getHandle(callWorkflowId(callId)).query(callStateQuery),
      );
    } catch (err) {
      log.warn(
        { callId, err: (err as Error).message },
        'closed call workflow did not answer callState; settling on telephony time alone',
      );
      return undefined;
    } finally {
      clearTimeout(t);
    }
  }

  const fromRow = async (callId: string, row: CallRow): Promise<CallResult> => {
    const [c] = await sql<
      { charged_amount: number; total_provider_cost: number }[]
    >`select charged_amount, total_provider_cost from call_costs where call_id = ${callId}`;
    return {
      callId,
      status: row.status as CallTerminalStatus,
      durationSec: row.duration_sec ?? 0,
      chargedMicro: c?.charged_amount ?? 0,
      providerCostMicro: c?.total_provider_cost ?? 0,
      ...(row.end_reason ? { endReason: row.end_reason as CallResult['endReason'] } : {}),
      ...(row.error ? { error: row.error } : {}),
    };
  };

  async function readRow(callId: string): Promise<CallRow | undefined> {
    const [row] = await sql<CallRow[]>`
      select account_id, campaign_id, contact_id, attempt, status, settled_at, provider_call_sid, answered_by, price_list_version, hold_amount, duration_sec, error, end_reason, dial_state
      from calls where id = ${callId}`;
    return row;
  }

  /** Resolves a closed call's money and record; null when its provider call is still ending (next sweep). */
  async function resolveClosed(callId: string, row: CallRow): Promise<CallResult | null> {
    let answered: { durationSec: number; answeredBy?: string } | undefined;
    const sid = row.provider_call_sid;
    if (sid) {
      let s = await telephony.fetchCall(sid);
      if (s && !isProviderFinal(s.status)) {
        await telephony.hangup(sid);
        s = await telephony.fetchCall(sid);
      }
      if (s && !isProviderFinal(s.status)) return null;
      if (s && finalImpliesAnswer(s.status))
        answered = { durationSec: s.durationSec ?? 0, ...(s.answeredBy ? { answeredBy: s.answeredBy } : {}) };
    }
    const [pl] = row.price_list_version
      ? await sql<
          { prices: Omit<PriceList, 'version'> }[]
        >`select prices from price_lists where version = ${row.price_list_version}`
      : [];
    const quote =
      pl && row.hold_amount !== null
        ? { priceList: { ...pl.prices, version: row.price_list_version! }, holdMicro: row.hold_amount }
        : undefined;
    let ending: CallEnding;
    if (answered) {
      const st = await lastState(callId);
      const endedAt = new Date();
      const answeredBy = answered.answeredBy ?? st?.answeredBy ?? row.answered_by ?? undefined;
      ending = {
        status: isMachine(answeredBy) ? 'voicemail' : 'completed',
        endReason: 'abandoned',
        error: 'the call workflow closed before settling; settled by the hold sweeper',
        answered: {
          answeredAt: st?.answeredAt ?? new Date(endedAt.getTime() - answered.durationSec * 1000).toISOString(),
          endedAt: endedAt.toISOString(),
          telephonySeconds: answered.durationSec,
          usage: st?.usage ?? { sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 },
          ...(st?.outcome ? { outcome: st.outcome } : {}),
          transcript: st?.transcript ?? [],
        },
      };
    } else if (!sid && !row.dial_state) {
      // Never dialed: the contact is owed its attempt.
      ending = {
        status: 'not_attempted',
        endReason: 'abandoned',
        error: 'the call workflow closed before dialing; hold released by the hold sweeper',
      };
    } else {
      ending = {
        status: 'failed',
        endReason: 'abandoned',
        error: 'the call workflow closed before releasing its hold; released by the hold sweeper',
      };
    }
    const money = await finishCall(deps, {
      callId,
      accountId: row.account_id,
      maxDurationSec: NO_DURATION_CAP,
      ...(quote ? { quote } : {}),
      ...(sid ? { callSid: sid } : {}),
      ...(answered?.answeredBy ? { answeredBy: answered.answeredBy } : {}),
      ending,
    });
    const result: CallResult = {
      callId,
      status: ending.status,
      durationSec: money.durationSec,
      chargedMicro: money.chargedMicro,
      providerCostMicro: money.providerCostMicro,
      endReason: 'abandoned',
      ...(ending.error ? { error: ending.error } : {}),
      ...(ending.answered?.outcome ? { outcome: ending.answered.outcome } : {}),
    };
    log.warn(
      { callId, status: result.status, chargedMicro: result.chargedMicro },
      'hold of a closed call workflow resolved by the sweeper',
    );
    if (row.campaign_id) {
      try {
        await temporal()
          .workflow.getHandle(campaignWorkflowId(row.campaign_id))
          .signal(callFinishedSignal, {
            ...result,
            ...(row.contact_id ? { contactId: row.contact_id } : {}),
            attempt: row.attempt,
          });
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err; // the campaign is over: nothing waits for this call
      }
    }
    return result;
  }

  return {
    async callSweepHolds({ olderThanSec, limit = 200 }) {
      const rows = await sql<{ call_id: string }[]>`
        select substr(key, 6, 36) as call_id from ledger_operations
        where op = 'hold' and hold_status = 'pending' and key like 'call/%:hold'
          and created_at < now() - make_interval(secs => ${olderThanSec})
        order by created_at limit ${limit}`;
      const resolved: string[] = [];
      let running = 0;
      let failed = 0;
      for (const { call_id: callId } of rows) {
        if (await workflowOpen(callId)) {
          running++;
          continue;
        }
        try {
          const row = await readRow(callId);
          if (row && (await resolveClosed(callId, row))) resolved.push(callId);
        } catch (err) {
          // One call the sweeper cannot resolve (its record refused, Twilio unreachable) must not
          // keep the others waiting: it is logged and tried again by the next pass.
          failed++;
          log.error({ callId, err: (err as Error).message }, 'hold sweeper could not resolve a closed call; next pass retries');
        }
      }
      return { resolved, running, failed };
    },

    async callReconcile({ callId }) {
      if (await workflowOpen(callId)) return null;
      const row = await readRow(callId);
      // Closed before it recorded the call: nothing was held or dialed.
      if (!row)
        return { callId, status: 'not_attempted', durationSec: 0, chargedMicro: 0, providerCostMicro: 0, endReason: 'abandoned' };
      if (row.settled_at) return fromRow(callId, row);
      return resolveClosed(callId, row);
    },
  };
}
