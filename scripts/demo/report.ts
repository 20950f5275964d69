import { ok, type Api } from './api';
import type { Schemas } from '../../client';
import { maskNumber, type Callee } from './roster';
import { table, usd } from './format';

export interface CallRow {
  id: string;
  /** Twilio's CallSid; the simulated callee names the call's recording after it. */
  callSid: string | null;
  to: string;
  persona: string;
  attempt: number;
  status: string;
  outcome: string | null;
  durationSec: number;
  sttMicro: number;
  llmMicro: number;
  ttsMicro: number;
  twilioMicro: number;
  providerCostMicro: number;
  chargedMicro: number;
  marginMicro: number;
  transcriptTurns: number;
  transcript: { role: string; text: string; interrupted: boolean }[];
}

export interface Totals {
  calls: number;
  byStatus: Record<string, number>;
  durationSec: number;
  sttMicro: number;
  llmMicro: number;
  ttsMicro: number;
  twilioMicro: number;
  providerCostMicro: number;
  chargedMicro: number;
  marginMicro: number;
}

/** Every call of the campaign with its cost breakdown, read back through the API. */
export async function fetchCalls(api: Api, campaignId: string, callees: Callee[]): Promise<CallRow[]> {
  const personaOf = new Map(callees.map((c) => [c.phone, c.persona]));
  const list: { id: string }[] = [];
  let cursor: string | null = null;
  do {
    const page: Schemas['CallPage'] = await ok(
      api.GET('/v1/campaigns/{id}/calls', {
        params: { path: { id: campaignId }, query: { limit: 500, ...(cursor ? { cursor } : {}) } },
      }),
    );
    list.push(...page.calls);
    cursor = page.nextCursor;
  } while (cursor);
  const rows: CallRow[] = [];
  // A few at a time: the API rate-limits per key.
  for (let i = 0; i < list.length; i += 8) {
    const details = await Promise.all(
      list.slice(i, i + 8).map((c) => ok(api.GET('/v1/calls/{id}', { params: { path: { id: c.id } } }))),
    );
    for (const d of details) {
      const k = d.cost;
      rows.push({
        id: d.id,
        callSid: d.providerCallSid ?? null,
        to: d.to,
        persona: personaOf.get(d.to) ?? '?',
        attempt: d.attempt,
        status: d.status,
        outcome: d.outcome?.result ?? null,
        durationSec: d.durationSec ?? 0,
        sttMicro: Number(k?.azureSttCost ?? 0),
        llmMicro: Number(k?.llmCost ?? 0),
        ttsMicro: Number(k?.ttsCost ?? 0),
        twilioMicro: Number(k?.twilioCost ?? 0),
        providerCostMicro: Number(k?.totalProviderCost ?? 0),
        chargedMicro: Number(k?.chargedAmount ?? 0),
        marginMicro: Number(k?.profitMargin ?? 0),
        transcriptTurns: d.transcript.length,
        transcript: d.transcript.map((t) => ({ role: t.role, text: t.text, interrupted: t.interrupted })),
      });
    }
  }
  // Callee order, then attempt: a retried number's attempts sit together.
  const order = new Map(callees.map((c, i) => [c.phone, i]));
  return rows.sort((a, b) => (order.get(a.to) ?? 1e9) - (order.get(b.to) ?? 1e9) || a.attempt - b.attempt);
}

export function totalsOf(rows: CallRow[]): Totals {
  const t: Totals = {
    calls: rows.length,
    byStatus: {},
    durationSec: 0,
    sttMicro: 0,
    llmMicro: 0,
    ttsMicro: 0,
    twilioMicro: 0,
    providerCostMicro: 0,
    chargedMicro: 0,
    marginMicro: 0,
  };
  for (const r of rows) {
    t.byStatus[r.status] = (t.byStatus[r.status] ?? 0) + 1;
    t.durationSec += r.durationSec;
    t.sttMicro += r.sttMicro;
    t.llmMicro += r.llmMicro;
    t.ttsMicro += r.ttsMicro;
    t.twilioMicro += r.twilioMicro;
    t.providerCostMicro += r.providerCostMicro;
    t.chargedMicro += r.chargedMicro;
    t.marginMicro += r.marginMicro;
  }
  return t;
}

const HEADERS = [
  '#',
  'number',
  'persona',
  'try',
  'status',
  'outcome',
  'secs',
  'STT',
  'LLM',
  'TTS',
  'Twilio',
  'charged',
  'margin',
];
const RIGHT = new Set([0, 3, 6, 7, 8, 9, 10, 11, 12]);

export function callsTable(rows: CallRow[], t: Totals): string {
  const body = rows.map((r, i) => [
    String(i + 1),
    maskNumber(r.to),
    r.persona.replace(/_/g, ' '),
    String(r.attempt),
    r.status.replace(/_/g, ' '),
    r.outcome?.replace(/_/g, ' ') ?? '-',
    String(r.durationSec),
    usd(r.sttMicro),
    usd(r.llmMicro),
    usd(r.ttsMicro),
    usd(r.twilioMicro),
    usd(r.chargedMicro),
    usd(r.marginMicro),
  ]);
  const footer = [
    [
      '',
      'total',
      `${t.calls} calls`,
      '',
      '',
      '',
      String(t.durationSec),
      usd(t.sttMicro),
      usd(t.llmMicro),
      usd(t.ttsMicro),
      usd(t.twilioMicro),
      usd(t.chargedMicro),
      usd(t.marginMicro),
    ],
  ];
  return table(HEADERS, body, RIGHT, footer);
}

/** One call's transcript, as a person would read it; the first talking persona's by preference. */
export function sampleConversation(rows: CallRow[], recordingOf: (r: CallRow) => string | undefined): string | undefined {
  const talked = rows.filter((r) => r.transcript.length > 0);
  const pick = talked.find((r) => r.persona === 'interrupter') ?? talked.find((r) => r.persona === 'interested') ?? talked[0];
  if (!pick) return undefined;
  const lines = pick.transcript.map((t) => `    ${t.role.padEnd(6)}  ${t.text}${t.interrupted ? '  [cut off]' : ''}`);
  const rec = recordingOf(pick);
  return (
    `A conversation (${maskNumber(pick.to)}, ${pick.persona.replace(/_/g, ' ')}, outcome ${pick.outcome ?? 'none'}):\n${lines.join('\n')}` +
    (rec ? `\n    listen: ${rec}` : '')
  );
}
