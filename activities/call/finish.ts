import type { Logger } from 'pino';
import type { Sql } from '../../lib/db';
import { ledgerKeys } from '../../lib/ids';
import { callsTerminal } from '../../lib/metrics';
import { priceCall } from '../../lib/pricing/price-call';
import { suppressOptOut } from '../../lib/suppression';
import { cleanJson, cleanText } from '../../lib/text/clean';
import { OPT_OUT_OUTCOME } from '../../workflows/call/contract';
import type { CallEnding } from '../../workflows/call/lifecycle';
import type { CallLedger, Tx } from './ports';
import { isDataError, nonRetryableIfData } from './sql-errors';
import type { FinishArgs, FinishResult } from './types';

/**
 * The call's one money step (design: Money): settles an answered call — priceCall's charge
 * posted against the hold, its costs, transcript and outcome stored — or voids the hold of one
 * that was not answered, and marks the call terminal, all in one transaction. Idempotent: a retry
 * after a commit whose reply was lost finds the call settled and answers from its record; a hold
 * that was never taken (refused, or the call ended before it) is nothing to release.
 *
 * Text is cleaned here as well as where it entered (lib/text/clean.ts): a NUL or a lone surrogate
 * would make Postgres reject the whole transaction. Should the content still be refused (a data
 * error, SQLSTATE class 22 or 23), the money is settled without the transcript and outcome, and
 * the call's error says why: a call's money never waits on its text.
 *
 * A callee who opted out (outcome OPT_OUT_OUTCOME) is put on the account's do-not-call list in the
 * same transaction — decided from the outcome as received, so it holds even when the outcome's text
 * is refused — and suppressOptOut keeps the first entry, so a retry adds nothing twice.
 */
export async function finishCall(deps: { sql: Sql; ledger: CallLedger; log: Logger }, args: FinishArgs): Promise<FinishResult> {
  const ending = cleanEnding(args.ending);
  const optedOut = args.ending.answered?.outcome?.result === OPT_OUT_OUTCOME;
  try {
    return await finishOnce(deps, { ...args, ending }, optedOut);
  } catch (err) {
    if (!isDataError(err)) throw err;
    deps.log.error(
      { callId: args.callId, code: err.code, err: err.message },
      'call record refused by the database; settling the money without transcript and outcome',
    );
    const why = `transcript and outcome not stored: SQLSTATE ${err.code} ${cleanText(err.message, 300)}`;
    const bare: CallEnding = {
      ...ending,
      error: ending.error ? `${ending.error}; ${why}` : why,
      ...(ending.answered ? { answered: { ...ending.answered, transcript: [], outcome: undefined } } : {}),
    };
    try {
      return await finishOnce(
        deps,
        { ...args, answeredBy: args.answeredBy && cleanText(args.answeredBy, 40), ending: bare },
        optedOut,
      );
    } catch (again) {
      throw nonRetryableIfData(again, 'call settlement refused');
    }
  }
}

function cleanEnding(e: CallEnding): CallEnding {
  if (!e.answered) return { ...e, ...(e.error ? { error: cleanText(e.error, 1_000) } : {}) };
  const a = e.answered;
  return {
    ...e,
    ...(e.error ? { error: cleanText(e.error, 1_000) } : {}),
    answered: {
      ...a,
      transcript: a.transcript.map((t) => ({ ...t, text: cleanText(t.text) })),
      ...(a.outcome ? { outcome: cleanJson(a.outcome) } : {}),
    },
  };
}

async function finishOnce(
  { sql, ledger, log }: { sql: Sql; ledger: CallLedger; log: Logger },
  a: FinishArgs,
  optedOut: boolean,
): Promise<FinishResult> {
  const { callId, ending } = a;
  const holdKey = ledgerKeys.callHold(callId);
  let becameTerminal = false;
  const result = await sql.begin(async (tx): Promise<FinishResult> => {
    const [row] = await tx<
      { terminal: boolean; settled_at: Date | null; to_e164: string }[]
    >`select terminal, settled_at, to_e164 from calls where id = ${callId} for update`;
    if (row?.settled_at) return recorded(tx, callId);
    if (optedOut && row) {
      const { added } = await suppressOptOut(tx as unknown as Sql, { accountId: a.accountId, e164: row.to_e164, callId });
      if (added) log.info({ callId, last4: row.to_e164.slice(-4) }, 'number put on the do-not-call list after an opt-out');
    }
    becameTerminal = row !== undefined && !row.terminal;
    const hold = await ledger.holdState(holdKey, tx);
    const done: FinishResult = { chargedMicro: 0, providerCostMicro: 0, durationSec: 0, billedSeconds: 0, releasedMicro: 0 };
    const answered = ending.answered;
    if (answered && hold && a.quote) {
      const price = priceCall({ telephonySeconds: answered.telephonySeconds, ...answered.usage }, a.quote.priceList, {
        amountMicro: hold.amountMicro,
        maxDurationSec: a.maxDurationSec,
      });
      const posted =
        hold.status === 'pending'
          ? await ledger.post({ holdKey, amountMicro: price.charged, key: ledgerKeys.callSettle(callId) }, tx)
          : { chargedMicro: 0, releasedMicro: 0 };
      const c = price.components;
      const u = answered.usage;
      const { version: _v, ...prices } = a.quote.priceList;
      await tx`
        insert into call_costs (call_id, account_id, price_list_version, price_list, stt_audio_ms, prompt_tokens,
          completion_tokens, llm_reported_cost, tts_characters, telephony_seconds, billed_seconds, azure_stt_cost,
          llm_cost, tts_cost, twilio_cost, total_provider_cost, charged_amount, profit_margin)
        values (${callId}, ${a.accountId}, ${price.priceListVersion}, ${tx.json(prices as never)}, ${u.sttAudioMs},
          ${u.promptTokens}, ${u.completionTokens}, ${u.llmReportedCostMicro ?? null}, ${u.ttsCharacters},
          ${answered.telephonySeconds}, ${price.billedSeconds}, ${c.sttMicro}, ${c.llmMicro}, ${c.ttsMicro},
          ${c.telephonyMicro + c.amdMicro}, ${price.providerCostMicro}, ${posted.chargedMicro}, ${posted.chargedMicro - price.providerCostMicro})
        on conflict (call_id) do nothing`;
      for (const t of answered.transcript) {
        await tx`
          insert into transcript_turns (call_id, seq, role, text, interrupted, at_ms, latency)
          values (${callId}, ${t.seq}, ${t.role}, ${t.text}, ${t.interrupted ?? false}, ${t.atMs ?? null}, ${t.latency ? tx.json(t.latency as never) : null})
          on conflict (call_id, seq) do nothing`;
      }
      Object.assign(done, {
        chargedMicro: posted.chargedMicro,
        releasedMicro: posted.releasedMicro,
        providerCostMicro: price.providerCostMicro,
        durationSec: price.durationSec,
        billedSeconds: price.billedSeconds,
      });
      if (price.margin < 0) log.warn({ callId, marginMicro: price.margin }, 'call settled below its provider cost');
    } else if (hold?.status === 'pending') {
      done.releasedMicro = (await ledger.void({ holdKey, key: ledgerKeys.callVoid(callId) }, tx)).releasedMicro;
    }
    await tx`
      update calls set status = ${ending.status}, terminal = true, error = ${ending.error ?? null}, end_reason = ${ending.endReason ?? null},
        provider_call_sid = coalesce(provider_call_sid, ${a.callSid ?? null}),
        answered_by = coalesce(${a.answeredBy ?? null}, answered_by),
        outcome = ${answered?.outcome ? tx.json(answered.outcome as never) : null},
        answered_at = ${answered ? new Date(answered.answeredAt) : null},
        ended_at = ${answered ? new Date(answered.endedAt) : tx`coalesce(ended_at, now())`},
        duration_sec = ${done.durationSec}, settled_at = now(), updated_at = now()
      where id = ${callId}`;
    log.info(
      { callId, status: ending.status, endReason: ending.endReason, chargedMicro: done.chargedMicro },
      answered ? 'call settled' : 'call ended unanswered',
    );
    return done;
  });
  if (becameTerminal) callsTerminal.inc({ status: ending.status });
  return result;
}

/** A retry after a commit whose reply was lost: what was settled, unchanged. */
async function recorded(tx: Tx, callId: string): Promise<FinishResult> {
  const [c] = await tx<
    { charged_amount: number; total_provider_cost: number; billed_seconds: number; duration_sec: number | null }[]
  >`
    select cc.charged_amount, cc.total_provider_cost, cc.billed_seconds, c.duration_sec
    from calls c left join call_costs cc on cc.call_id = c.id where c.id = ${callId}`;
  return {
    chargedMicro: c?.charged_amount ?? 0,
    providerCostMicro: c?.total_provider_cost ?? 0,
    durationSec: c?.duration_sec ?? 0,
    billedSeconds: c?.billed_seconds ?? 0,
    releasedMicro: 0,
  };
}
