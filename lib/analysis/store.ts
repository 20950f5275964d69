import type { Sql } from '../db';
/** What an analysis produced (activities/analysis/analyze.ts fills it). */
export interface AnalysisOutcome {
  status: 'ok' | 'invalid' | 'failed';
  result?: { summary?: string; fields: Record<string, unknown> };
  raw?: string;
  error?: string;
  model?: string;
  requests: number;
  promptTokens: number;
  completionTokens: number;
  reportedCostMicro?: number;
}

export interface StoredAnalysis {
  status: 'ok' | 'invalid' | 'failed';
  summary: string | null;
  fields: Record<string, unknown> | null;
  raw: string | null;
  error: string | null;
  model: string | null;
  usage: { requests: number; promptTokens: number; completionTokens: number; reportedCostMicro: number | null };
  updatedAt: string;
}

/** Records an outcome; a `failed` outcome never overwrites an earlier ok or invalid one. Token counts add up across tries. */
export async function saveAnalysis(sql: Sql, callId: string, accountId: string, o: AnalysisOutcome): Promise<void> {
  await sql`
    insert into call_analysis (call_id, account_id, status, summary, fields, raw, error, model, requests, prompt_tokens, completion_tokens, reported_cost)
    values (${callId}, ${accountId}, ${o.status}, ${o.result?.summary ?? null}, ${o.result ? sql.json(o.result.fields as never) : null}, ${o.raw ?? null},
            ${o.error ?? null}, ${o.model ?? null}, ${o.requests}, ${o.promptTokens}, ${o.completionTokens}, ${o.reportedCostMicro ?? null})
    on conflict (call_id) do update set
      status = case when ${o.status} = 'failed' and call_analysis.status <> 'failed' then call_analysis.status else excluded.status end,
      summary = case when ${o.status} = 'failed' and call_analysis.status <> 'failed' then call_analysis.summary else excluded.summary end,
      fields = case when ${o.status} = 'failed' and call_analysis.status <> 'failed' then call_analysis.fields else excluded.fields end,
      raw = case when ${o.status} = 'failed' and call_analysis.status <> 'failed' then call_analysis.raw else excluded.raw end,
      error = case when ${o.status} = 'failed' and call_analysis.status <> 'failed' then call_analysis.error else excluded.error end,
      model = coalesce(excluded.model, call_analysis.model),
      requests = call_analysis.requests + excluded.requests,
      prompt_tokens = call_analysis.prompt_tokens + excluded.prompt_tokens,
      completion_tokens = call_analysis.completion_tokens + excluded.completion_tokens,
      reported_cost = case when excluded.reported_cost is null then call_analysis.reported_cost else coalesce(call_analysis.reported_cost, 0) + excluded.reported_cost end,
      updated_at = now()`;
}

export async function loadAnalysis(sql: Sql, callId: string): Promise<StoredAnalysis | null> {
  const [r] = await sql<
    {
      status: StoredAnalysis['status'];
      summary: string | null;
      fields: Record<string, unknown> | null;
      raw: string | null;
      error: string | null;
      model: string | null;
      requests: number;
      prompt_tokens: number;
      completion_tokens: number;
      reported_cost: number | null;
      updated_at: Date;
    }[]
  >`
    select * from call_analysis where call_id = ${callId}`;
  if (!r) return null;
  return {
    status: r.status,
    summary: r.summary,
    fields: r.fields,
    raw: r.raw,
    error: r.error,
    model: r.model,
    usage: {
      requests: r.requests,
      promptTokens: r.prompt_tokens,
      completionTokens: r.completion_tokens,
      reportedCostMicro: r.reported_cost,
    },
    updatedAt: r.updated_at.toISOString(),
  };
}
