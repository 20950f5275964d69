import { z } from 'zod';
import { cleanJson, cleanText } from '../../lib/text/clean';
import { OPT_OUT_OUTCOME, type AgentConfig, type CallOutcome } from '../../workflows/call/contract';
import type { ToolSpec } from '../../providers/types';

/**
 * The agent's tools. Arguments come from the model, so they are validated like any untrusted
 * input; a refusal goes back to the model as the tool's result so it can correct itself.
 */

export function toolSpecs(agent: AgentConfig): ToolSpec[] {
  const tools: ToolSpec[] = [
    {
      name: 'end_call',
      description: 'Say goodbye and hang up. Use when the conversation is finished or the person asks to stop.',
      parameters: {
        type: 'object',
        properties: { goodbye: { type: 'string', description: 'The last sentence to say, unless you already said goodbye.' } },
      },
    },
    {
      name: 'record_outcome',
      description: 'Record the result of the call. Call it once you know the result; you may call it again to correct it.',
      parameters: {
        type: 'object',
        properties: {
          result: agent.outcomes?.length ? { type: 'string', enum: agent.outcomes } : { type: 'string' },
          notes: { type: 'string', description: 'Short notes for the campaign owner.' },
          callbackAt: {
            type: 'string',
            description: 'ISO 8601 date-time when the person asked to be called back, with their time zone offset.',
          },
        },
        required: ['result'],
      },
    },
    {
      name: 'opt_out',
      description:
        'The person asks not to be called again, or to be removed from the calling list (in any words or language). Confirms briefly and ends the call; do not argue or try to keep them.',
      parameters: {
        type: 'object',
        properties: {
          confirmation: {
            type: 'string',
            description: 'One short sentence confirming they will not be called again, in their language.',
          },
        },
      },
    },
  ];
  if (agent.transferNumber) {
    tools.push({
      name: 'transfer_call',
      description: 'Transfer the person to a human colleague. Tell them you are transferring them first.',
      parameters: { type: 'object', properties: { reason: { type: 'string' } } },
    });
  }
  return tools;
}

const outcomeArgs = z.object({
  result: z.string().trim().min(1).max(100),
  notes: z.string().max(2000).optional(),
  callbackAt: z.iso.datetime({ offset: true }).optional(),
});
const endCallArgs = z.object({ goodbye: z.string().max(500).optional() });
const optOutArgs = z.object({ confirmation: z.string().max(300).optional() });

function parseJson(raw: string): unknown {
  try {
    return raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export type ToolDecision =
  | { kind: 'outcome'; outcome: CallOutcome; result: string }
  | { kind: 'end_call'; goodbye?: string; result: string }
  | { kind: 'transfer'; to: string; result: string }
  | { kind: 'opt_out'; confirmation?: string; result: string }
  | { kind: 'refused'; result: string };

/** Validates one tool call against the campaign's agent; never throws. Text in a decision is cleaned (lib/text/clean.ts): it may leave the gateway. */
export function decideTool(agent: AgentConfig, name: string, rawArgs: string): ToolDecision {
  const args = parseJson(rawArgs);
  if (args === undefined) return { kind: 'refused', result: 'error: arguments are not valid JSON' };
  switch (name) {
    case 'record_outcome': {
      const r = outcomeArgs.safeParse(args);
      if (!r.success)
        return { kind: 'refused', result: `error: ${r.error.issues[0]!.path.join('.')} ${r.error.issues[0]!.message}` };
      if (agent.outcomes?.length && !agent.outcomes.includes(r.data.result)) {
        return { kind: 'refused', result: `error: result must be one of ${agent.outcomes.join(', ')}` };
      }
      if (r.data.result === OPT_OUT_OUTCOME)
        return { kind: 'refused', result: 'error: use the opt_out tool when the person asks not to be called again' };
      const outcome: CallOutcome = cleanJson({
        result: r.data.result,
        ...(r.data.notes ? { notes: r.data.notes } : {}),
        ...(r.data.callbackAt ? { callbackAt: r.data.callbackAt } : {}),
      });
      return { kind: 'outcome', outcome, result: 'recorded' };
    }
    case 'end_call': {
      const r = endCallArgs.safeParse(args);
      return {
        kind: 'end_call',
        goodbye: r.success ? cleanText(r.data.goodbye?.trim() ?? '', 500) || undefined : undefined,
        result: 'ending the call',
      };
    }
    case 'opt_out': {
      const r = optOutArgs.safeParse(args);
      return {
        kind: 'opt_out',
        confirmation: r.success ? cleanText(r.data.confirmation?.trim() ?? '', 300) || undefined : undefined,
        result: 'opted out; the call ends',
      };
    }
    case 'transfer_call':
      // The number is the campaign's, never the model's: a prompt injection cannot dial elsewhere.
      if (!agent.transferNumber) return { kind: 'refused', result: 'error: transfers are not available on this call' };
      return { kind: 'transfer', to: agent.transferNumber, result: 'transferring' };
    default:
      return { kind: 'refused', result: `error: unknown tool ${name.slice(0, 40)}` };
  }
}
