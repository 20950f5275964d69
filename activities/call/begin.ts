import { ApplicationFailure } from '@temporalio/activity';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { Sql } from '../../lib/db';
import { ledgerKeys } from '../../lib/ids';
import { holdFor, storePriceList, type PriceList } from '../../lib/pricing';
import { cleanText } from '../../lib/text/clean';
import { loadCallAgent } from './agent';
import type { CallLedger, SuppressionList } from './ports';
import { nonRetryableIfData } from './sql-errors';
import {
  CALL_ROW_REJECTED,
  type CallBeginArgs,
  type CallBeginResult,
  type PrepareResult,
  type ValidateNumberResult,
} from './types';

export function validateNumber(to: string, defaultRegion?: string): ValidateNumberResult {
  const raw = to.trim();
  if (raw.length === 0 || raw.length > 40) return { ok: false, reason: 'phone number empty or too long' };
  const parsed = parsePhoneNumberFromString(raw, defaultRegion as CountryCode | undefined);
  if (!parsed) return { ok: false, reason: 'not a phone number' };
  if (!parsed.isValid())
    return { ok: false, reason: `not a valid number for ${parsed.country ?? `+${parsed.countryCallingCode}`}` };
  return { ok: true, e164: parsed.number };
}

/** The call's first step (a local activity): the number's verdict and the hold, quoted from this worker's price list. */
export function prepareCall(
  priceList: PriceList,
  args: { to: string; defaultRegion?: string; maxDurationSec: number },
): PrepareResult {
  return {
    number: validateNumber(args.to, args.defaultRegion),
    quote: { priceList, holdMicro: holdFor(args.maxDurationSec, priceList) },
  };
}

/**
 * Records the call, asks the do-not-call list, loads the agent and holds the quoted credit. Each
 * part is idempotent by callId, so a retry after a lost reply repeats nothing: the row is kept,
 * and the hold — its amount fixed by the quote in the workflow's history — is answered from the
 * ledger's journal, whatever the worker's price list says now.
 */
export async function beginCall(
  deps: { sql: Sql; ledger: CallLedger; suppression: SuppressionList },
  { input, toE164, quote }: CallBeginArgs,
): Promise<CallBeginResult> {
  const { sql, ledger, suppression } = deps;
  const { version } = quote.priceList;
  try {
    await sql.begin(async (tx) => {
      await storePriceList(tx as unknown as Sql, quote.priceList);
      await tx`
        insert into calls (id, account_id, campaign_id, contact_id, attempt, to_e164, status, agent_id, price_list_version)
        values (${input.callId}, ${input.accountId}, ${input.campaignId ?? null}, ${input.contactId ?? null},
                ${input.attempt}, ${toE164 ?? cleanText(input.to, 40)}, ${toE164 ? 'holding' : 'validating'}, ${input.agentId}, ${version})
        on conflict (id) do nothing`;
    });
  } catch (err) {
    // Unknown account/campaign/contact/agent, or a second callId for the same contact attempt: a
    // bug in the caller that no retry fixes, and dialing anyway could call someone twice.
    const code = (err as { code?: string }).code;
    if (code === '23503' || code === '23505')
      throw ApplicationFailure.nonRetryable(`call row rejected: ${(err as Error).message}`, CALL_ROW_REJECTED);
    throw nonRetryableIfData(err, 'call row rejected');
  }
  if (!toE164) return { outcome: 'recorded' };
  if (
    await suppression.isSuppressed({
      accountId: input.accountId,
      ...(input.campaignId ? { campaignId: input.campaignId } : {}),
      e164: toE164,
    })
  ) {
    return { outcome: 'suppressed' };
  }
  const agent = await loadCallAgent(sql, {
    callId: input.callId,
    accountId: input.accountId,
    agentId: input.agentId,
    ...(input.contactId ? { contactId: input.contactId } : {}),
  });
  const held = await sql.begin(async (tx) => {
    const h = await ledger.hold(
      { accountId: input.accountId, amountMicro: quote.holdMicro, key: ledgerKeys.callHold(input.callId) },
      tx,
    );
    await tx`update calls set hold_amount = ${h.amountMicro}, hold_key = ${h.holdKey}, updated_at = now() where id = ${input.callId}`;
    return h;
  });
  return { outcome: 'held', holdKey: held.holdKey, amountMicro: held.amountMicro, agent };
}
