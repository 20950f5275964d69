import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Sql } from '../../lib/db';
import { callWorkflowId } from '../../lib/ids';
import { createLedger } from '../../lib/ledger';
import { defaultPriceList, holdFor, type PriceList } from '../../lib/pricing';
import { emitCampaignEvent, type WebhookEmitter } from '../../lib/webhooks';
import type { CampaignEventType } from '../../lib/webhooks/events';
import type { CallResult } from '../../workflows/call/contract';
import type { CallCheck, CallingWindow, ContactResult, ContactToCall } from '../../workflows/campaign/contract';
export type { CallingWindow, ContactResult, ContactToCall };

export interface CampaignActivityDeps {
  sql: Sql;
  log: Logger;
  /** Describes call workflows for the in-flight check; without it, calls are taken to be running. */
  temporal?: Client;
  /** The price list holds are computed from (default: lib/pricing's defaults). */
  priceList?: PriceList;
  /** Where `campaign.*` webhooks are emitted from when a status write lands; none: no webhooks. */
  webhooks?: WebhookEmitter;
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
};

/**
 * Where `nowMs` falls relative to a calling window: open (and for how long), or closed (and when
 * it opens). Runs as a local activity so the time-zone database is consulted outside the workflow:
 * a tz-data update on the worker cannot change a replayed decision.
 */
export function windowPosition(w: CallingWindow, nowMs: number): { open: boolean; msUntilChange: number } {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone: w.timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const local = (ms: number) => {
    const parts = Object.fromEntries(fmt.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    const day = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(parts.weekday!) + 1;
    return { day, minute: Number(parts.hour) * 60 + Number(parts.minute), second: Number(parts.second) };
  };
  const inWindow = (ms: number) => {
    const l = local(ms);
    return w.weekdays.includes(l.day) && l.minute >= minutes(w.start) && l.minute < minutes(w.end);
  };
  const open = inWindow(nowMs);
  // Walk forward minute by minute (bounded: a week) to the next change; DST shifts are handled by Intl.
  const l = local(nowMs);
  let t = nowMs + (60 - l.second) * 1000;
  for (let i = 0; i < 8 * 24 * 60; i++, t += 60_000) {
    if (inWindow(t) !== open) return { open, msUntilChange: t - nowMs };
  }
  return { open, msUntilChange: open ? Number.MAX_SAFE_INTEGER : 7 * 24 * 3600_000 };
}

export function createCampaignActivities(deps: CampaignActivityDeps) {
  const { sql, log, temporal, priceList = defaultPriceList } = deps;
  const ledger = createLedger(sql);
  return {
    /**
     * Contacts never dialed, after `afterSeq`. Only `pending` ones: a contact in flight or waiting
     * for a retry lives in the workflow's state, so a cursor rewound at continue-as-new cannot
     * dial it a second time.
     */
    async campaignFetchContacts({
      campaignId,
      afterSeq,
      limit,
    }: {
      campaignId: string;
      afterSeq: number;
      limit: number;
    }): Promise<ContactToCall[]> {
      return sql<ContactToCall[]>`
        select id as "contactId", seq, phone_e164 as phone, attempts from contacts
        where campaign_id = ${campaignId} and seq > ${afterSeq} and state = 'pending'
        order by seq limit ${limit}`;
    },

    /**
     * Leases for as many of `callIds` as the account's limit allows right now, in order. Idempotent
     * by call id: a retried activity re-grants what it granted before.
     */
    async campaignAcquireCallSlots({
      accountId,
      campaignId,
      callIds,
      ttlSec,
    }: {
      accountId: string;
      campaignId: string;
      callIds: string[];
      ttlSec: number;
    }): Promise<string[]> {
      return sql.begin(async (tx) => {
        const [acct] = await tx<
          { max: number }[]
        >`select max_concurrent_calls as max from accounts where id = ${accountId} for update`;
        if (!acct) return [];
        const held = await tx<{ call_id: string }[]>`
          select call_id from call_leases where account_id = ${accountId} and expires_at > now()`;
        const mine = new Set(held.map((h) => h.call_id));
        let free = acct.max - held.length;
        const granted: string[] = [];
        for (const id of callIds) {
          if (mine.has(id)) granted.push(id);
          else if (free > 0) {
            await tx`insert into call_leases (call_id, account_id, campaign_id, expires_at)
                     values (${id}, ${accountId}, ${campaignId}, now() + make_interval(secs => ${ttlSec}))
                     on conflict (call_id) do nothing`;
            granted.push(id);
            free--;
          }
        }
        return granted;
      });
    },

    /** Frees leases and records attempt results in one round trip; safe to repeat. */
    async campaignRecordResults({
      results,
      started,
    }: {
      results: ContactResult[];
      started: { contactId: string; attempt: number }[];
    }) {
      await sql.begin(async (tx) => {
        if (results.length) {
          const callIds = results.flatMap((r) => (r.callId ? [r.callId] : []));
          if (callIds.length) await tx`delete from call_leases where call_id = any(${callIds}::uuid[])`;
          for (const r of results) {
            await tx`update contacts set attempts = greatest(attempts, ${r.attempt}),
                       state = case when ${r.final} then 'done' else 'calling' end,
                       final_status = case when ${r.final} then ${r.status} else final_status end, updated_at = now()
                     where id = ${r.contactId} and state <> 'done'`;
          }
        }
        if (started.length) {
          for (const s of started) {
            await tx`update contacts set state = 'calling', attempts = greatest(attempts, ${s.attempt}), updated_at = now()
                     where id = ${s.contactId} and state = 'pending'`;
          }
        }
      });
    },

    /** Phone numbers of queued contacts (carried state keeps none); a contact not found is left out. */
    async campaignContactPhones({
      campaignId,
      contactIds,
    }: {
      campaignId: string;
      contactIds: string[];
    }): Promise<Record<string, string>> {
      const rows = await sql<{ id: string; phone: string }[]>`
        select id, phone_e164 as phone from contacts where campaign_id = ${campaignId} and id = any(${contactIds}::uuid[])`;
      return Object.fromEntries(rows.map((r) => [r.id, r.phone]));
    },

    /**
     * The in-flight check (design: Campaign): each call's workflow is described. One still running
     * has its lease renewed for another full TTL, so a lease never expires under a live call. One
     * closed is reported with its result — a completed run whose report was lost — or, for a run
     * terminated, timed out or failed, as `failed` (its hold is the reconciler's), so the campaign
     * never waits for it forever. No run at all: the call never started, so it was not attempted.
     */
    async campaignCheckCalls({ callIds, leaseTtlSec }: { callIds: string[]; leaseTtlSec: number }): Promise<CallCheck[]> {
      if (!temporal) return callIds.map((callId) => ({ callId, closed: false as const }));
      const found = await Promise.all(
        callIds.map(async (callId): Promise<CallCheck> => {
          const handle = temporal.workflow.getHandle(callWorkflowId(callId));
          try {
            const d = await handle.describe();
            if (d.status.name === 'RUNNING') return { callId, closed: false };
            if (d.status.name === 'COMPLETED') return { callId, closed: true, result: (await handle.result()) as CallResult };
            log.warn({ callId, status: d.status.name }, 'call workflow closed without reporting to its campaign');
            return {
              callId,
              closed: true,
              result: {
                callId,
                status: 'failed',
                durationSec: 0,
                chargedMicro: 0,
                providerCostMicro: 0,
                error: `call workflow ${d.status.name.toLowerCase()}`,
              },
            };
          } catch (err) {
            if (err instanceof WorkflowNotFoundError)
              return {
                callId,
                closed: true,
                result: { callId, status: 'not_attempted', durationSec: 0, chargedMicro: 0, providerCostMicro: 0 },
              };
            throw err;
          }
        }),
      );
      const open = found.filter((f) => !f.closed).map((f) => f.callId);
      if (open.length) {
        await sql`update call_leases set expires_at = greatest(expires_at, now() + make_interval(secs => ${leaseTtlSec}))
                  where call_id = any(${open}::uuid[])`;
      }
      return found;
    },

    /** Whether the account's available balance covers the hold of one more call of this campaign. */
    async campaignCreditsCover({ accountId, maxDurationSec }: { accountId: string; maxDurationSec: number }): Promise<boolean> {
      const b = await ledger.balance(accountId);
      return b.available >= holdFor(maxDurationSec, priceList);
    },

    async campaignReleaseSlots({ callIds }: { callIds: string[] }) {
      if (callIds.length) await sql`delete from call_leases where call_id = any(${callIds}::uuid[])`;
    },

    /**
     * Stores the workflow's status. `seq` grows with every write of a campaign, and a write only
     * lands over an older one: an attempt that reaches Postgres late (a retried activity whose first
     * attempt was slow) cannot overwrite a newer status.
     */
    async campaignSetStatus({
      campaignId,
      status,
      pauseReason,
      seq,
    }: {
      campaignId: string;
      status: string;
      pauseReason: string | null;
      seq: number;
    }) {
      const [landed] = await sql<{ prev_status: string }[]>`
        with prev as (select status from campaigns where id = ${campaignId} for update)
        update campaigns set status = ${status}, pause_reason = ${pauseReason}, status_seq = ${seq},
          started_at = coalesce(started_at, case when ${status} = 'running' then now() end),
          finished_at = case when ${status} in ('completed', 'canceled', 'failed') then coalesce(finished_at, now()) else finished_at end
        where id = ${campaignId} and status_seq < ${seq}
        returning (select status from prev) as prev_status`;
      if (!deps.webhooks) return;
      // A retry whose first attempt committed finds its own seq stored: it emits what that attempt may not have.
      const ours =
        landed ??
        (await sql<{ status_seq: number }[]>`select status_seq from campaigns where id = ${campaignId}`)[0]?.status_seq === seq;
      const event = ours ? campaignEvent(status, landed?.prev_status, seq) : null;
      if (event) await emitCampaignEvent(deps.webhooks, campaignId, event.type, event.occurrence);
    },

    /** One open alert per condition; a second raise while it is open is a no-op. */
    async campaignRaiseAlert({
      accountId,
      campaignId,
      kind,
      payload,
    }: {
      accountId: string;
      campaignId: string;
      kind: string;
      payload: Record<string, unknown>;
    }) {
      await sql`insert into alerts (account_id, kind, condition_key, payload)
                values (${accountId}, ${kind}, ${`${kind}:${accountId}`}, ${sql.json(payload as never)})
                on conflict (condition_key) where state = 'firing' do nothing`;
      log.warn({ accountId, campaignId, kind }, 'alert raised');
    },

    async campaignWindow({ window, nowMs }: { window: CallingWindow; nowMs: number }) {
      return windowPosition(window, nowMs);
    },
  };
}
export type CampaignActivities = ReturnType<typeof createCampaignActivities>;

/**
 * The webhook a stored status means. started / completed / canceled happen once (dedup key
 * occurrence '1', so every later `running` write — a resume — emits nothing new); a pause is told
 * apart by the seq of the write that entered it, and a write that keeps a paused campaign paused
 * (another reason) is no new pause. `prev` is unknown on a retry: then the write is taken as the entry.
 */
export function campaignEvent(
  status: string,
  prev: string | undefined,
  seq: number,
): { type: CampaignEventType; occurrence: string } | null {
  if (status === 'running') return { type: 'campaign.started', occurrence: '1' };
  if (status === 'completed' || status === 'canceled') return { type: `campaign.${status}`, occurrence: '1' };
  if (status === 'paused' && prev !== 'paused') return { type: 'campaign.paused', occurrence: String(seq) };
  return null;
}
