import { ApplicationFailure } from '@temporalio/activity';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Logger } from 'pino';
import type { Sql } from '../../lib/db';
import { ledgerKeys } from '../../lib/ids';
import type { Telephony } from '../../providers/types';
import { classifyTwilioError } from '../../providers/twilio/errors';
import type { CallLedger, CallPricing } from './ports';
import { callsTerminal } from '../../lib/metrics';
import { readAgent } from '../../lib/agents/store';
import { noteProviderError } from '../../lib/provider-errors';
import { CALL_ROW_REJECTED, type CallActivities, type SettleResult } from './types';

export interface CallActivityDeps {
  sql: Sql;
  log: Logger;
  ledger: CallLedger;
  pricing: CallPricing;
  /** Hang-up and status look-ups run here; dialing is the dialer queue's (activities/call/dialer.ts). */
  telephony: Pick<Telephony, 'hangup' | 'fetchCall'>;
}

/** Activities of callWorkflow on the orchestration queue. Each is idempotent by callId. */
export function createCallActivities({ sql, log, ledger, pricing, telephony }: CallActivityDeps): CallActivities {
  const hold = (callId: string, accountId: string, maxDurationSec: number) =>
    sql.begin(async (tx) => {
      const held = await ledger.hold({ accountId, amountMicro: pricing.holdAmountFor(maxDurationSec), key: ledgerKeys.callHold(callId) }, tx);
      await tx`update calls set hold_amount = ${held.amountMicro}, hold_key = ${held.holdKey}, updated_at = now() where id = ${callId}`;
      return held;
    });

  return {
    async callLoadAgent({ accountId, agentId }) {
      const agent = await readAgent(sql, accountId, agentId);
      if (!agent) throw ApplicationFailure.nonRetryable(`no agent ${agentId} for this account`, 'AgentNotFound');
      return agent;
    },

    async callValidateNumber({ to, defaultRegion }) {
      const raw = to.trim();
      if (raw.length === 0 || raw.length > 40) return { ok: false, reason: 'phone number empty or too long' };
      const parsed = parsePhoneNumberFromString(raw, defaultRegion as CountryCode | undefined);
      if (!parsed) return { ok: false, reason: 'not a phone number' };
      if (!parsed.isValid()) return { ok: false, reason: `not a valid number for ${parsed.country ?? `+${parsed.countryCallingCode}`}` };
      return { ok: true, e164: parsed.number };
    },

    async callBegin({ input, toE164, holdForSec }) {
      try {
        await sql`
        insert into calls (id, account_id, campaign_id, contact_id, attempt, to_e164, status)
        values (${input.callId}, ${input.accountId}, ${input.campaignId ?? null}, ${input.contactId ?? null},
                ${input.attempt}, ${toE164 ?? input.to.slice(0, 40)}, ${toE164 ? 'holding' : 'validating'})
        on conflict (id) do nothing`;
      } catch (err) {
        // Unknown account/campaign/contact, or a second callId for the same contact attempt: a bug in
        // the caller that no retry fixes, and dialing anyway could call someone twice.
        const code = (err as { code?: string }).code;
        if (code === '23503' || code === '23505') throw ApplicationFailure.nonRetryable(`call row rejected: ${(err as Error).message}`, CALL_ROW_REJECTED);
        throw err;
      }
      // A retry after the row was written only re-runs the hold, which is idempotent by its key.
      return holdForSec !== undefined && toE164 ? hold(input.callId, input.accountId, holdForSec) : null;
    },

    async callHold({ callId, accountId, maxDurationSec }) {
      return hold(callId, accountId, maxDurationSec);
    },

    async callHangup({ callId, callSid }) {
      try {
        await telephony.hangup(callSid);
      } catch (err) {
        const te = classifyTwilioError(err);
        await noteProviderError(sql, log, { vendor: 'twilio', code: te.code ?? te.kind, httpStatus: te.httpStatus, unavailable: te.kind === 'unavailable', callId });
        // A retryable failure is retried; a final one is logged, not thrown: Twilio's TimeLimit ends
        // the call anyway and billing is capped, so a failed hang-up must not fail the settlement.
        if (te.retryable) throw ApplicationFailure.retryable(te.message, 'TelephonyUnavailable');
        log.error({ callId, callSid, err: te.message }, 'hang-up failed; relying on the TimeLimit backstop');
      }
    },

    async callProviderStatus({ callId, callSid }) {
      try {
        const s = await telephony.fetchCall(callSid);
        log.warn({ callId, callSid, status: s?.status, durationSec: s?.durationSec }, 'status callback missing; asked the provider');
        return s;
      } catch (err) {
        const te = classifyTwilioError(err);
        await noteProviderError(sql, log, { vendor: 'twilio', code: te.code ?? te.kind, httpStatus: te.httpStatus, unavailable: te.kind === 'unavailable', callId });
        throw ApplicationFailure.create({ message: te.message, type: 'TelephonyUnavailable', nonRetryable: !te.retryable });
      }
    },

    async callFinishUnanswered({ callId, status, holdKey, callSid, answeredBy, error }) {
      // Counted once: only the attempt that moves the row to terminal increments the metric.
      let becameTerminal = false;
      const result = await sql.begin(async (tx) => {
        const [prev] = await tx<{ terminal: boolean }[]>`select terminal from calls where id = ${callId} for update`;
        becameTerminal = prev !== undefined && !prev.terminal;
        const released = holdKey ? await ledger.void({ holdKey, key: ledgerKeys.callVoid(callId) }, tx) : { releasedMicro: 0 };
        await tx`
          update calls set status = ${status}, terminal = true, error = ${error ?? null},
            provider_call_sid = coalesce(provider_call_sid, ${callSid ?? null}),
            answered_by = coalesce(${answeredBy ?? null}, answered_by),
            duration_sec = 0, ended_at = coalesce(ended_at, now()), settled_at = coalesce(settled_at, now()), updated_at = now()
          where id = ${callId}`;
        return released;
      });
      if (becameTerminal) callsTerminal.inc({ status });
      return result;
    },

    async callSettle(args) {
      const { callId } = args;
      let settledNow = false;
      const result = await sql.begin(async (tx): Promise<SettleResult> => {
        const [row] = await tx<{ hold_amount: number | null; settled_at: Date | null }[]>`
          select hold_amount, settled_at from calls where id = ${callId} for update`;
        if (!row) throw ApplicationFailure.nonRetryable(`call ${callId} has no row`, 'CallRowMissing');
        if (row.settled_at) {
          // A retry after a commit whose reply was lost: report what was settled, change nothing.
          const [c] = await tx<{ charged_amount: number; total_provider_cost: number }[]>`
            select charged_amount, total_provider_cost from call_costs where call_id = ${callId}`;
          return { chargedMicro: c?.charged_amount ?? 0, providerCostMicro: c?.total_provider_cost ?? 0, releasedMicro: 0 };
        }
        const u = args.usage;
        const cost = pricing.cost({
          billedSeconds: args.billedSeconds,
          telephonySeconds: args.telephonySeconds,
          sttAudioMs: u.sttAudioMs,
          promptTokens: u.promptTokens,
          completionTokens: u.completionTokens,
          llmReportedCostMicro: u.llmReportedCostMicro,
          ttsCharacters: u.ttsCharacters,
        });
        // Never charge past the hold: billed seconds are capped at maxDurationSec, which is what was
        // held, so the cap only bites if the price list changed between hold and settlement.
        const charged = Math.min(cost.chargedAmount, row.hold_amount ?? 0);
        const posted = await ledger.post({ holdKey: args.holdKey, amountMicro: charged, key: ledgerKeys.callSettle(callId) }, tx);
        await tx`
          insert into call_costs (call_id, account_id, price_list_version, price_list, stt_audio_ms, prompt_tokens,
            completion_tokens, llm_reported_cost, tts_characters, telephony_seconds, billed_seconds, azure_stt_cost,
            llm_cost, tts_cost, twilio_cost, total_provider_cost, charged_amount, profit_margin)
          values (${callId}, ${args.accountId}, ${cost.priceListVersion}, ${tx.json(cost.priceList as never)}, ${u.sttAudioMs},
            ${u.promptTokens}, ${u.completionTokens}, ${u.llmReportedCostMicro ?? null}, ${u.ttsCharacters},
            ${args.telephonySeconds}, ${args.billedSeconds}, ${cost.azureSttCost}, ${cost.llmCost}, ${cost.ttsCost},
            ${cost.twilioCost}, ${cost.totalProviderCost}, ${posted.chargedMicro}, ${posted.chargedMicro - cost.totalProviderCost})
          on conflict (call_id) do nothing`;
        for (const t of args.transcript) {
          await tx`
            insert into transcript_turns (call_id, seq, role, text, interrupted, at_ms, latency)
            values (${callId}, ${t.seq}, ${t.role}, ${t.text}, ${t.interrupted ?? false}, ${t.atMs ?? null},
              ${t.latency ? tx.json(t.latency as never) : null})
            on conflict (call_id, seq) do nothing`;
        }
        await tx`
          update calls set status = ${args.status}, terminal = true, error = ${args.error ?? null},
            provider_call_sid = coalesce(provider_call_sid, ${args.callSid ?? null}),
            answered_by = ${args.answeredBy ?? null}, outcome = ${args.outcome ? tx.json(args.outcome as never) : null},
            answered_at = ${new Date(args.answeredAt)}, ended_at = ${new Date(args.endedAt)},
            duration_sec = ${args.billedSeconds}, settled_at = now(), updated_at = now()
          where id = ${callId}`;
        log.info({ callId, status: args.status, billedSeconds: args.billedSeconds, chargedMicro: posted.chargedMicro }, 'call settled');
        settledNow = true;
        return { chargedMicro: posted.chargedMicro, releasedMicro: posted.releasedMicro, providerCostMicro: cost.totalProviderCost };
      });
      if (settledNow) callsTerminal.inc({ status: args.status });
      return result;
    },
  };
}
