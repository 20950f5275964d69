import type { Sql } from '../db';
import { loadAnalysis } from '../analysis/store';

/**
 * The events aicall sends to its clients' endpoints. Every body is
 *   { id, type, version: 1, createdAt, accountId, data }
 * `id` is also the `webhook-id` header and stays the same across retries and redeliveries, so a
 * receiver de-duplicates on it. `version` changes only with an incompatible change of `data`.
 */
export const EVENT_TYPES = [
  'call.ended',
  'campaign.started',
  'campaign.paused',
  'campaign.completed',
  'campaign.canceled',
  'topup.paid',
  'alert.fired',
  'alert.cleared',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const EVENT_VERSION = 1;

export interface WebhookEventBody {
  id: string;
  type: EventType;
  version: typeof EVENT_VERSION;
  createdAt: string;
  accountId: string;
  data: Record<string, unknown>;
}

export type CampaignEventType = Extract<EventType, `campaign.${string}`>;

/**
 * `call.ended` data, read back from Postgres after settlement so the event says exactly what the
 * API says: status, outcome, duration, transcript, the cost breakdown as `call_costs` (column
 * names of the table), the analysis and a recording URL when they exist. Null when no such call.
 */
export async function callEndedData(
  sql: Sql,
  callId: string,
  opts: { apiOrigin?: string } = {},
): Promise<{ accountId: string; data: Record<string, unknown> } | null> {
  const [call] = await sql<Record<string, any>[]>`select * from calls where id = ${callId}`;
  if (!call) return null;
  const [cost] = await sql<Record<string, any>[]>`
    select price_list_version, azure_stt_cost, llm_cost, tts_cost, twilio_cost, total_provider_cost, charged_amount,
           profit_margin, stt_audio_ms, prompt_tokens, completion_tokens, tts_characters, billed_seconds
    from call_costs where call_id = ${callId}`;
  const transcript =
    await sql`select seq, role, text, interrupted, at_ms as "atMs" from transcript_turns where call_id = ${callId} order by seq`;
  const analysis = await loadAnalysis(sql, callId);
  // recordings are another branch's columns: read them only when present
  const hasRecording = call.recording_path != null || call.recording_key != null || call.recording_bytes != null;
  return {
    accountId: call.account_id,
    data: {
      callId: call.id,
      campaignId: call.campaign_id,
      contactId: call.contact_id,
      attempt: call.attempt,
      to: call.to_e164,
      status: call.status,
      outcome: call.outcome,
      answeredBy: call.answered_by,
      error: call.error,
      answeredAt: call.answered_at?.toISOString() ?? null,
      endedAt: call.ended_at?.toISOString() ?? null,
      durationSec: call.duration_sec,
      transcript,
      call_costs: cost ?? null,
      analysis,
      recordingUrl: hasRecording ? `${opts.apiOrigin ?? ''}/v1/calls/${call.id}/recording` : null,
    },
  };
}

/** `campaign.*` data: the campaign's status and counts at the moment of the event. */
export async function campaignData(
  sql: Sql,
  campaignId: string,
): Promise<{ accountId: string; data: Record<string, unknown> } | null> {
  const [c] = await sql<
    {
      id: string;
      account_id: string;
      name: string;
      status: string;
      pause_reason: string | null;
      contact_count: number;
      started_at: Date | null;
      finished_at: Date | null;
    }[]
  >`
    select id, account_id, name, status, pause_reason, contact_count, started_at, finished_at from campaigns where id = ${campaignId}`;
  if (!c) return null;
  const calls = await sql<
    { status: string; n: number }[]
  >`select status, count(*)::int as n from calls where campaign_id = ${campaignId} and terminal group by status`;
  return {
    accountId: c.account_id,
    data: {
      campaignId: c.id,
      name: c.name,
      status: c.status,
      pauseReason: c.pause_reason,
      contacts: c.contact_count,
      startedAt: c.started_at?.toISOString() ?? null,
      finishedAt: c.finished_at?.toISOString() ?? null,
      calls: Object.fromEntries(calls.map((x) => [x.status, x.n])),
    },
  };
}

/** `topup.paid` data. */
export async function topUpData(sql: Sql, topUpId: string): Promise<{ accountId: string; data: Record<string, unknown> } | null> {
  const [t] = await sql<
    {
      id: string;
      account_id: string;
      amount_sen: number;
      credit_amount: number;
      status: string;
      bill_id: string | null;
      paid_at: Date | null;
    }[]
  >`
    select id, account_id, amount_sen, credit_amount, status, bill_id, paid_at from topups where id = ${topUpId}`;
  if (!t) return null;
  return {
    accountId: t.account_id,
    data: {
      topUpId: t.id,
      amountSen: t.amount_sen,
      creditMicro: t.credit_amount,
      status: t.status,
      billId: t.bill_id,
      paidAt: t.paid_at?.toISOString() ?? null,
    },
  };
}

/** `alert.fired` / `alert.cleared` data (account alerts only; platform alerts have no account to send to). */
export async function alertData(
  sql: Sql,
  alertId: string,
): Promise<{ accountId: string | null; data: Record<string, unknown> } | null> {
  const [a] = await sql<
    {
      id: string;
      account_id: string | null;
      kind: string;
      state: string;
      condition_key: string;
      payload: unknown;
      fired_at: Date;
      cleared_at: Date | null;
    }[]
  >`
    select id, account_id, kind, state, condition_key, payload, fired_at, cleared_at from alerts where id = ${alertId}`;
  if (!a) return null;
  return {
    accountId: a.account_id,
    data: {
      alertId: a.id,
      kind: a.kind,
      state: a.state,
      conditionKey: a.condition_key,
      payload: a.payload,
      firedAt: a.fired_at.toISOString(),
      clearedAt: a.cleared_at?.toISOString() ?? null,
    },
  };
}
