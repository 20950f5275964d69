import type { Logger } from 'pino';
import type { Sql } from '../../lib/db';
import type { ChatModel } from '../../providers/types';
import { analyzeTranscript, type TranscriptLine } from './analyze';
import { AnalysisConfigSchema } from '../../lib/analysis/schema';
import { saveAnalysis } from '../../lib/analysis/store';

export interface CallAnalyzeArgs {
  callId: string;
  /** The workflow's transcript (before settlement writes it); read from Postgres when absent. */
  transcript?: TranscriptLine[];
}

export type CallAnalyzeResult =
  | { status: 'skipped'; reason: string }
  | {
      status: 'ok' | 'invalid' | 'failed' | 'done';
      promptTokens: number;
      completionTokens: number;
      reportedCostMicro?: number;
      error?: string;
    };

/**
 * Post-call analysis as an activity. Bounded by `budgetMs` (the model call is aborted then, and
 * counted `failed`), and idempotent: a call already analysed (ok or invalid) is not asked again
 * and its tokens are not reported twice (`done`).
 */
export function createAnalysisActivities(deps: { sql: Sql; log: Logger; chatModel: () => ChatModel; budgetMs?: number }) {
  return {
    async callAnalyze({ callId, transcript }: CallAnalyzeArgs): Promise<CallAnalyzeResult> {
      const [c] = await deps.sql<
        {
          account_id: string;
          analysis: unknown;
          agent: { llmModel: string; fallbackModels?: string[] } | null;
          done: string | null;
        }[]
      >`
        select l.account_id, k.analysis, k.agent, a.status as done
        from calls l left join campaigns k on k.id = l.campaign_id left join call_analysis a on a.call_id = l.id
        where l.id = ${callId}`;
      if (!c) return { status: 'skipped', reason: 'no such call' };
      if (!c.analysis || !c.agent) return { status: 'skipped', reason: 'the campaign asks for no analysis' };
      if (c.done === 'ok' || c.done === 'invalid') return { status: 'done', promptTokens: 0, completionTokens: 0 };
      const config = AnalysisConfigSchema.parse(c.analysis);
      const lines =
        transcript ??
        (await deps.sql<TranscriptLine[]>`select role, text from transcript_turns where call_id = ${callId} order by seq`);
      if (!lines.some((t) => t.role === 'caller')) return { status: 'skipped', reason: 'the caller said nothing' };
      const outcome = await analyzeTranscript(deps.chatModel(), {
        model: c.agent.llmModel,
        fallbackModels: c.agent.fallbackModels,
        config,
        transcript: lines,
        signal: AbortSignal.timeout(deps.budgetMs ?? 45_000),
      });
      await saveAnalysis(deps.sql, callId, c.account_id, outcome);
      if (outcome.status !== 'ok')
        deps.log.warn({ callId, status: outcome.status, error: outcome.error }, 'call analysis not valid');
      return {
        status: outcome.status,
        promptTokens: outcome.promptTokens,
        completionTokens: outcome.completionTokens,
        reportedCostMicro: outcome.reportedCostMicro,
        error: outcome.error,
      };
    },
  };
}
export type AnalysisActivities = ReturnType<typeof createAnalysisActivities>;
