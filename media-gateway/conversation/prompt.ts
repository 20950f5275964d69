import type { AgentConfig } from '../../workflows/call/contract';

/** The campaign's prompt, plus what every phone agent must know: spoken style, the keypad, the tools. */
export function systemPrompt(agent: AgentConfig, optOutDigit: string | undefined): string {
  return [
    agent.systemPrompt.trim(),
    '',
    `You are speaking on a phone call, in ${agent.language}. Keep replies short and spoken: no lists, no markdown, no emoji.`,
    'Keypad presses from the person arrive as "[keypad] <digits>".',
    'When the conversation is over, use end_call. Record the result with record_outcome as soon as you know it.',
    `If the person asks not to be called again, use opt_out${optOutDigit ? ` (pressing ${optOutDigit} does the same)` : ''}.`,
  ].join('\n');
}
