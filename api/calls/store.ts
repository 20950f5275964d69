import { z } from 'zod';
import type { Sql } from '../../lib/db';
import { HttpError } from '../errors';
import { loadAnalysis, type StoredAnalysis } from '../../lib/analysis/store';
import { recordingOf, recordingSummary } from '../../lib/recordings/catalog';

/**
 * The account's calls: the one listing (GET /v1/campaigns/:id/calls, the console's calls table and
 * its CSV export) and the one call detail (GET /v1/calls/:id, the console's call page).
 */

// created_at::text as Postgres writes it (DateStyle ISO): "2026-11-26 01:19:51.469123+00". Date.parse
// is far laxer ("1", "March 7" parse), and what it lets through Postgres refuses with an error.
const PG_TIMESTAMP = /^(?!0000)(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)([+-]\d{2})(:\d{2})?$/;
const isoInstant = z.iso.datetime({ offset: true });
const uuid = z.uuid();
function isPgTimestamp(s: string): boolean {
  const m = PG_TIMESTAMP.exec(s);
  return !!m && isoInstant.safeParse(`${m[1]}T${m[2]}${m[3]}${m[4] ?? ':00'}`).success;
}

export interface CallsCursor {
  at: string;
  id: string;
}

/** The cursor carries Postgres's own timestamp text: a JS Date would drop its microseconds. */
export function decodeCallsCursor(cursor: string): CallsCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parsed = undefined;
  }
  const [at, id] = Array.isArray(parsed) ? parsed : [];
  if (typeof at !== 'string' || !isPgTimestamp(at) || !uuid.safeParse(id).success)
    throw new HttpError(400, 'validation_failed', 'cursor: not a cursor from a previous page');
  return { at, id: id as string };
}
const encodeCursor = (at: string, id: string) => Buffer.from(JSON.stringify([at, id])).toString('base64url');

export interface CallFilter {
  campaignId?: string;
  status?: string;
  /** calls.outcome.result */
  outcome?: string;
  /** created_at in [from, to) */
  from?: Date;
  to?: Date;
  /** the number ends with these digits (1 to 4) */
  lastDigits?: string;
}

export interface CallListRow {
  id: string;
  campaign_id: string | null;
  campaign_name: string | null;
  contact_id: string | null;
  to_e164: string;
  status: string;
  attempt: number;
  outcome: string | null;
  duration_sec: number | null;
  charged: number | null;
  created_at: Date;
  created_key: string;
}

/**
 * One page of the account's calls by creation time (keyset pagination on (created_at, id), so a
 * deep page costs what the first does). `order` asc is the campaign's calls in dialing order (the
 * API), desc the newest first (the console).
 */
export async function listCalls(
  sql: Sql,
  accountId: string,
  f: CallFilter,
  page: { limit: number; cursor?: string; order: 'asc' | 'desc' },
): Promise<{ rows: CallListRow[]; nextCursor: string | null }> {
  const after = page.cursor ? decodeCallsCursor(page.cursor) : undefined;
  const desc = page.order === 'desc';
  const rows = await sql<CallListRow[]>`
    select l.id, l.campaign_id, c.name as campaign_name, l.contact_id, l.to_e164, l.status, l.attempt, l.outcome->>'result' as outcome,
           l.duration_sec, k.charged_amount as charged, l.created_at, l.created_at::text as created_key
    from calls l left join call_costs k on k.call_id = l.id left join campaigns c on c.id = l.campaign_id
    where l.account_id = ${accountId}
      ${f.campaignId ? sql`and l.campaign_id = ${f.campaignId}` : sql``}
      ${f.status ? sql`and l.status = ${f.status}` : sql``}
      ${f.outcome ? sql`and l.outcome->>'result' = ${f.outcome}` : sql``}
      ${f.from ? sql`and l.created_at >= ${f.from}` : sql``}
      ${f.to ? sql`and l.created_at < ${f.to}` : sql``}
      ${f.lastDigits ? sql`and right(l.to_e164, ${f.lastDigits.length}) = ${f.lastDigits}` : sql``}
      ${after ? (desc ? sql`and (l.created_at, l.id) < (${after.at}::text::timestamptz, ${after.id}::uuid)` : sql`and (l.created_at, l.id) > (${after.at}::text::timestamptz, ${after.id}::uuid)`) : sql``}
    order by ${desc ? sql`l.created_at desc, l.id desc` : sql`l.created_at, l.id`} limit ${page.limit + 1}`;
  const out = rows.slice(0, page.limit);
  const last = out[out.length - 1];
  return { rows: out, nextCursor: rows.length > page.limit && last ? encodeCursor(last.created_key, last.id) : null };
}

export interface CallCostView {
  priceListVersion: string;
  azureSttCost: number;
  llmCost: number;
  ttsCost: number;
  twilioCost: number;
  totalProviderCost: number;
  chargedAmount: number;
  profitMargin: number;
  usage: { sttAudioMs: number; promptTokens: number; completionTokens: number; ttsCharacters: number; billedSeconds: number };
}
export interface TranscriptTurn {
  seq: number;
  role: 'agent' | 'caller' | 'system';
  text: string;
  interrupted: boolean;
  atMs: number | null;
  latency: Record<string, number> | null;
}
export interface CallDetail {
  id: string;
  campaignId: string | null;
  contactId: string | null;
  attempt: number;
  to: string;
  status: string;
  terminal: boolean;
  providerCallSid: string | null;
  answeredBy: string | null;
  outcome: { result: string; notes?: string; callbackAt?: string; data?: Record<string, unknown> } | null;
  error: string | null;
  /** Why the call ended when it was not a normal hang-up (calls.end_reason). */
  endReason: string | null;
  createdAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  durationSec: number | null;
  cost: CallCostView | null;
  transcript: TranscriptTurn[];
  analysis: StoredAnalysis | null;
  recording: ReturnType<typeof recordingSummary>;
  /** Not in the API's answer: the console's status timeline. */
  timeline: { dialedAt: Date | null; settledAt: Date | null };
}

/** A call of the account with its cost breakdown (exactly call_costs) and transcript; undefined for any other id. */
export async function getCallDetail(sql: Sql, accountId: string, rawId: string): Promise<CallDetail | undefined> {
  const id = uuid.safeParse(rawId);
  if (!id.success) return undefined;
  const [call] = await sql`select * from calls where id = ${id.data} and account_id = ${accountId}`;
  if (!call) return undefined;
  const [[cost], transcript, analysis, recording] = await Promise.all([
    sql`select * from call_costs where call_id = ${call.id}`,
    sql<
      TranscriptTurn[]
    >`select seq, role, text, interrupted, at_ms as "atMs", latency from transcript_turns where call_id = ${call.id} order by seq`,
    loadAnalysis(sql, call.id),
    recordingOf(sql, accountId, call.id),
  ]);
  return {
    id: call.id,
    campaignId: call.campaign_id,
    contactId: call.contact_id,
    attempt: call.attempt,
    to: call.to_e164,
    status: call.status,
    terminal: call.terminal,
    providerCallSid: call.provider_call_sid,
    answeredBy: call.answered_by,
    outcome: call.outcome,
    error: call.error,
    endReason: call.end_reason,
    createdAt: call.created_at,
    answeredAt: call.answered_at,
    endedAt: call.ended_at,
    durationSec: call.duration_sec,
    cost: cost
      ? {
          priceListVersion: cost.price_list_version,
          azureSttCost: cost.azure_stt_cost,
          llmCost: cost.llm_cost,
          ttsCost: cost.tts_cost,
          twilioCost: cost.twilio_cost,
          totalProviderCost: cost.total_provider_cost,
          chargedAmount: cost.charged_amount,
          profitMargin: cost.profit_margin,
          usage: {
            sttAudioMs: cost.stt_audio_ms,
            promptTokens: cost.prompt_tokens,
            completionTokens: cost.completion_tokens,
            ttsCharacters: cost.tts_characters,
            billedSeconds: cost.billed_seconds,
          },
        }
      : null,
    transcript,
    analysis,
    recording: recordingSummary(recording),
    timeline: { dialedAt: call.dialed_at, settledAt: call.settled_at },
  };
}
