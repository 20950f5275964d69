import type { ZodError } from 'zod';
import type { ChatMessage, ChatModel } from '../../providers/types';
import { cleanText } from '../../lib/text/clean';
import { analysisJsonSchema, analysisResultSchema, type AnalysisConfig, type AnalysisResult } from '../../lib/analysis/schema';
import type { AnalysisOutcome } from '../../lib/analysis/store';

export type { AnalysisOutcome };

export interface TranscriptLine {
  role: 'agent' | 'caller' | 'system';
  text: string;
}

const issues = (e: ZodError) => e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

function parse(config: AnalysisConfig, text: string): { ok: true; value: AnalysisResult } | { ok: false; error: string } {
  // some models wrap JSON in a ```json fence even when asked not to
  const body = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'the reply is not JSON' };
  }
  const r = analysisResultSchema(config).safeParse(json);
  return r.success ? { ok: true, value: r.data as AnalysisResult } : { ok: false, error: issues(r.error) };
}

function prompt(config: AnalysisConfig, transcript: TranscriptLine[]): ChatMessage[] {
  const fields = config.fields
    .map((f) => `- ${f.name} (${f.type}${f.values ? `: one of ${f.values.join(', ')}` : ''}): ${f.description}`)
    .join('\n');
  const lines = transcript
    .map((t) => `${t.role === 'agent' ? 'Agent' : t.role === 'caller' ? 'Caller' : 'System'}: ${t.text}`)
    .join('\n');
  return [
    {
      role: 'system',
      content:
        'You analyse transcripts of phone calls made by an AI agent. Answer with one JSON object that matches the given schema, nothing else. ' +
        "Use null for a field the call did not settle. Dates and times are ISO 8601, with the caller's offset when known." +
        (config.summary ? ' The summary is two or three sentences in the language of the call.' : ''),
    },
    {
      role: 'user',
      content: `${fields ? `Fields to extract:\n${fields}\n\n` : ''}Transcript:\n${lines || '(nothing was said)'}`,
    },
  ];
}

/**
 * Asks the model for the analysis as JSON-schema structured output and validates the answer with
 * the zod schema it was generated from. An answer that does not validate gets one repair request
 * (the errors are sent back); a second failure keeps the raw text with the validation error. A
 * model that cannot be reached is `failed` (the caller retries later). Tokens of every request are
 * counted, for the call's LLM cost.
 */
export async function analyzeTranscript(
  model: ChatModel,
  args: { model: string; fallbackModels?: string[]; config: AnalysisConfig; transcript: TranscriptLine[]; signal?: AbortSignal },
): Promise<AnalysisOutcome> {
  const out: AnalysisOutcome = { status: 'failed', requests: 0, promptTokens: 0, completionTokens: 0 };
  const responseFormat = {
    type: 'json_schema' as const,
    json_schema: { name: 'call_analysis', strict: true, schema: analysisJsonSchema(args.config) },
  };
  const messages = prompt(args.config, args.transcript);
  const ask = async (): Promise<string> => {
    out.requests += 1;
    let text = '';
    for await (const d of model.stream({
      model: args.model,
      fallbackModels: args.fallbackModels,
      messages,
      responseFormat,
      signal: args.signal,
    })) {
      if (d.type === 'text') text += d.text;
      else if (d.type === 'usage') {
        out.promptTokens += d.promptTokens;
        out.completionTokens += d.completionTokens;
        if (d.costMicro !== undefined) out.reportedCostMicro = (out.reportedCostMicro ?? 0) + d.costMicro;
        if (d.model) out.model = d.model;
      }
    }
    // the adapter ends the stream quietly on abort (a barge-in there); here it is the time budget
    if (args.signal?.aborted) throw new Error('the analysis ran out of time');
    return cleanText(text, 20_000);
  };
  try {
    let text = await ask();
    let parsed = parse(args.config, text);
    if (!parsed.ok) {
      messages.push(
        { role: 'assistant', content: text },
        {
          role: 'user',
          content: `That reply does not match the schema (${parsed.error}). Answer again with only the JSON object.`,
        },
      );
      text = await ask();
      parsed = parse(args.config, text);
    }
    if (parsed.ok) return { ...out, status: 'ok', result: parsed.value };
    return { ...out, status: 'invalid', raw: text, error: parsed.error };
  } catch (err) {
    return { ...out, status: 'failed', error: cleanText((err as Error).message, 500) };
  }
}
