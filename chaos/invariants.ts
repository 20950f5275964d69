import type { Client } from '@temporalio/client';
import type { Sql } from '../lib/db';
import { ledgerViolations } from '../lib/ledger/audit';
import { callIdFromWorkflowId } from '../lib/ids';
import type { SimControl } from './sim-control';

/**
 * What must hold after any run, whatever was killed and whatever the vendors did, read from
 * Postgres, Temporal and the Twilio simulator's own record of what it was asked to do.
 */

export interface Check {
  name: string;
  /** How many things this check looked at (contacts, attempts, holds, accounts, workflows…). */
  checked: number;
  violations: string[];
}

export interface InvariantReport {
  checks: Check[];
  violations: number;
  /** Calls per terminal status across the run. */
  statuses: Record<string, number>;
}

const MAX_LISTED = 20;
function check(name: string, checked: number, violations: string[]): Check {
  return { name, checked, violations };
}

export async function checkInvariants(deps: {
  sql: Sql;
  temporal: Client;
  twilio: SimControl;
  accountIds: string[];
  campaignIds: string[];
  terminated?: Set<string>;
}): Promise<InvariantReport> {
  const { sql, accountIds, campaignIds } = deps;
  const checks: Check[] = [];

  // 1. Campaigns finished.
  const campaigns = await sql<
    { id: string; status: string }[]
  >`select id, status from campaigns where id = any(${campaignIds}::uuid[])`;
  checks.push(
    check('every campaign completed', campaignIds.length, [
      ...campaigns.filter((c) => c.status !== 'completed').map((c) => `campaign ${c.id} is ${c.status}`),
      ...(campaigns.length !== campaignIds.length ? [`${campaignIds.length - campaigns.length} campaigns missing`] : []),
    ]),
  );

  // 2. Every contact done, with one terminal call row per attempt, numbered 1..n, the last one its final status.
  const contacts = await sql<{ id: string; state: string; final_status: string | null; attempts: number }[]>`
    select id, state, final_status, attempts from contacts where campaign_id = any(${campaignIds}::uuid[])`;
  const calls = await sql<
    {
      id: string;
      contact_id: string;
      attempt: number;
      status: string;
      terminal: boolean;
      provider_call_sid: string | null;
      hold_key: string | null;
      account_id: string;
    }[]
  >`
    select id, contact_id, attempt, status, terminal, provider_call_sid, hold_key, account_id from calls where campaign_id = any(${campaignIds}::uuid[])`;
  type CallRow = (typeof calls)[number];
  const byContact = new Map<string, CallRow[]>();
  for (const c of calls) byContact.set(c.contact_id, [...(byContact.get(c.contact_id) ?? []), c]);
  const contactViolations: string[] = [];
  for (const c of contacts) {
    const mine = (byContact.get(c.id) ?? []).sort((a, b) => a.attempt - b.attempt);
    if (c.state !== 'done' || !c.final_status)
      contactViolations.push(`contact ${c.id}: state ${c.state}, final status ${c.final_status}`);
    if (mine.length === 0) contactViolations.push(`contact ${c.id}: no call attempt`);
    if (mine.length !== c.attempts)
      contactViolations.push(`contact ${c.id}: ${c.attempts} attempts counted, ${mine.length} call rows`);
    mine.forEach((m, i) => {
      if (m.attempt !== i + 1)
        contactViolations.push(`contact ${c.id}: attempts numbered ${mine.map((x) => x.attempt).join(',')}`);
    });
    const last = mine[mine.length - 1];
    if (last && c.final_status && last.status !== c.final_status)
      contactViolations.push(`contact ${c.id}: final status ${c.final_status} but last attempt ${last.status}`);
  }
  checks.push(check("every contact done, its final status its last attempt's", contacts.length, contactViolations));
  checks.push(
    check(
      'every attempt in exactly one terminal state',
      calls.length,
      calls.filter((c) => !c.terminal).map((c) => `call ${c.id} (${c.status}) not terminal`),
    ),
  );

  // 3. The provider saw each attempt dialed at most once, and every dial it saw belongs to an attempt.
  const creates = await deps.twilio.creates();
  const callIds = new Set(calls.map((c) => c.id));
  const dials = new Map<string, number>();
  const dialViolations: string[] = [];
  for (const e of creates) {
    if (e.outcome === 'error') continue;
    if (!e.callId) {
      dialViolations.push(`a dial to ${e.to} without a callId`);
      continue;
    }
    if (!callIds.has(e.callId)) continue; // another run's call on a shared simulator
    dials.set(e.callId, (dials.get(e.callId) ?? 0) + 1);
  }
  for (const [callId, n] of dials) if (n > 1) dialViolations.push(`call ${callId} dialed ${n} times`);
  const sidOf = new Map(creates.filter((e) => e.callSid && e.callId).map((e) => [e.callSid!, e.callId!]));
  for (const c of calls) {
    if (c.provider_call_sid && sidOf.get(c.provider_call_sid) !== c.id)
      dialViolations.push(
        `call ${c.id} recorded SID ${c.provider_call_sid}, which the provider created for ${sidOf.get(c.provider_call_sid) ?? 'nobody'}`,
      );
  }
  checks.push(check('each attempt dialed at most once (simulator create log)', calls.length, dialViolations));

  // 4. No hold left pending; each call's hold resolved exactly once.
  const holds = await sql<{ key: string; hold_status: string | null; resolved_by: string | null }[]>`
    select key, hold_status, resolved_by from ledger_operations where op = 'hold' and account_id = any(${accountIds}::uuid[])`;
  const holdViolations = holds
    .filter((h) => h.hold_status === 'pending' || !h.resolved_by)
    .map((h) => `hold ${h.key} is ${h.hold_status}`);
  const holdKeys = new Set(holds.map((h) => h.key));
  for (const c of calls)
    if (c.hold_key && !holdKeys.has(c.hold_key))
      holdViolations.push(`call ${c.id} names hold ${c.hold_key}, which the ledger does not have`);
  checks.push(check('every hold posted or voided', holds.length, holdViolations));

  // 5. Per account: paid top-ups − charges = available, nothing held, and the books balance.
  const money = await sql<
    { account_id: string; available: number; held: number; topups: number; credits: number; charged: number; posted: number }[]
  >`
    select b.account_id, b.available, b.held,
      coalesce((select sum(credit_amount) from topups t where t.account_id = b.account_id and t.status = 'paid'), 0)::bigint as topups,
      coalesce((select sum(amount) from ledger_operations o where o.account_id = b.account_id and o.op = 'credit'), 0)::bigint as credits,
      coalesce((select sum(charged_amount) from call_costs k where k.account_id = b.account_id), 0)::bigint as charged,
      coalesce((select sum(amount) from ledger_operations o where o.account_id = b.account_id and o.op = 'post'), 0)::bigint as posted
    from ledger_balances b where b.account_id = any(${accountIds}::uuid[])`;
  const moneyViolations: string[] = [];
  for (const m of money) {
    if (m.topups - m.charged !== m.available)
      moneyViolations.push(`account ${m.account_id}: top-ups ${m.topups} − charges ${m.charged} ≠ available ${m.available}`);
    if (m.held !== 0) moneyViolations.push(`account ${m.account_id}: ${m.held} still held`);
    if (m.credits !== m.topups)
      moneyViolations.push(`account ${m.account_id}: ledger credits ${m.credits} ≠ paid top-ups ${m.topups}`);
    if (m.posted !== m.charged)
      moneyViolations.push(`account ${m.account_id}: ledger posts ${m.posted} ≠ call charges ${m.charged}`);
  }
  if (money.length !== accountIds.length) moneyViolations.push(`${accountIds.length - money.length} accounts have no balance`);
  moneyViolations.push(...(await ledgerViolations(sql, accountIds)));
  checks.push(
    check('per account: top-ups − charges = available, nothing held, books balance', accountIds.length, moneyViolations),
  );

  // 6. What we recorded agrees with what the provider says happened: the terminal status, and for
  //    answered calls the seconds we priced (Twilio's duration, capped at the campaign's maximum);
  //    the billed seconds are those rounded by the price list's billing rule (lib/pricing billedSeconds).
  const simCalls = new Map((await deps.twilio.calls()).map((c) => [c.sid, c]));
  const billed = await sql<
    { id: string; status: string; provider_call_sid: string; duration_sec: number | null; max_sec: number }[]
  >`
    select c.id, c.status, c.provider_call_sid, c.duration_sec, (g.settings->>'maxDurationSec')::int as max_sec
    from calls c join campaigns g on g.id = c.campaign_id left join call_costs k on k.call_id = c.id
    where c.campaign_id = any(${campaignIds}::uuid[]) and c.provider_call_sid is not null`;
  const agreeViolations: string[] = [];
  for (const c of billed) {
    const p = simCalls.get(c.provider_call_sid);
    if (!p) {
      agreeViolations.push(`call ${c.id}: SID ${c.provider_call_sid} unknown to the provider`);
      continue;
    }
    const answered = p.status === 'completed';
    const expected = answered
      ? p.answeredBy?.startsWith('machine')
        ? 'voicemail'
        : 'completed'
      : (({ busy: 'busy', failed: 'failed', 'no-answer': 'no_answer', canceled: 'no_answer' } as Record<string, string>)[
          p.status
        ] ?? `(provider still ${p.status})`);
    if (c.status !== expected)
      agreeViolations.push(`call ${c.id}: ours ${c.status}, provider ${p.status}${p.answeredBy ? `/${p.answeredBy}` : ''}`);
    else if (answered && c.duration_sec !== Math.min(p.duration ?? 0, c.max_sec))
      agreeViolations.push(`call ${c.id}: priced ${c.duration_sec} s, provider says ${p.duration} s`);
  }
  checks.push(check('status and priced seconds agree with the provider', billed.length, agreeViolations));

  // 7. Temporal: every call workflow of these attempts closed as completed; none left running.
  const closed = new Map<string, string>();
  const running: string[] = [];
  for await (const wf of deps.temporal.workflow.list({ query: `WorkflowType = 'callWorkflow'` })) {
    const id = callIdFromWorkflowId(wf.workflowId);
    if (!id || !callIds.has(id)) continue;
    if (wf.status.name === 'RUNNING') running.push(id);
    else closed.set(id, wf.status.name);
  }
  const wfViolations = [
    ...running.map((id) => `call workflow ${id} still running`),
    // An operator's termination (the chaos run's own) is the one other way a call workflow may close.
    ...[...closed]
      .filter(([id, s]) => s !== 'COMPLETED' && !(s === 'TERMINATED' && deps.terminated?.has(id)))
      .map(([id, s]) => `call workflow ${id} ${s}`),
    ...calls.filter((c) => !closed.has(c.id) && !running.includes(c.id)).map((c) => `call ${c.id} has no call workflow`),
  ];
  for await (const wf of deps.temporal.workflow.list({
    query: `WorkflowType = 'campaignWorkflow' AND ExecutionStatus = 'Running'`,
  })) {
    const id = wf.workflowId.replace(/^campaign\//, '');
    if (campaignIds.includes(id)) wfViolations.push(`campaign workflow ${id} still running`);
  }
  checks.push(check('every call workflow closed (completed, or terminated by the run)', calls.length, wfViolations));

  const statuses: Record<string, number> = {};
  for (const c of calls) statuses[c.status] = (statuses[c.status] ?? 0) + 1;
  return { checks, violations: checks.reduce((n, c) => n + c.violations.length, 0), statuses };
}

export function formatReport(r: InvariantReport): string {
  const lines = r.checks.map(
    (c) =>
      `  ${c.violations.length ? 'FAIL' : 'ok  '} ${c.name} (${c.checked} checked${c.violations.length ? `, ${c.violations.length} violations` : ''})` +
      c.violations
        .slice(0, MAX_LISTED)
        .map((v) => `\n         ${v}`)
        .join('') +
      (c.violations.length > MAX_LISTED ? `\n         … ${c.violations.length - MAX_LISTED} more` : ''),
  );
  return lines.join('\n');
}

/** Polls until every campaign row is final (completed, canceled or failed) or the time is up. */
export async function waitForCampaigns(
  sql: Sql,
  campaignIds: string[],
  timeoutMs: number,
  onProgress?: (done: number, calls: number) => void,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = 0;
  while (Date.now() < deadline && !signal?.aborted) {
    const [r] = await sql<{ done: number; calls: number }[]>`
      select (select count(*) from campaigns where id = any(${campaignIds}::uuid[]) and status in ('completed', 'canceled', 'failed'))::int as done,
             (select count(*) from calls where campaign_id = any(${campaignIds}::uuid[]) and terminal)::int as calls`;
    if (r!.done === campaignIds.length) return true;
    if (onProgress && Date.now() - lastReport > 10_000) {
      lastReport = Date.now();
      onProgress(r!.done, r!.calls);
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  return false;
}
