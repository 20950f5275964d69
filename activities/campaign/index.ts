import type { Sql } from '../../lib/db';
import type { Logger } from 'pino';
import type { CallingWindow } from '../../workflows/campaign/contract';
export type { CallingWindow };

export interface ContactToCall {
  contactId: string;
  seq: number;
  phone: string;
  attempts: number;
}

export interface ContactResult {
  contactId: string;
  callId: string;
  attempt: number;
  status: string;
  /** no more attempts will follow for this contact */
  final: boolean;
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
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: w.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
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

export function createCampaignActivities({ sql, log }: { sql: Sql; log: Logger }) {
  return {
    /**
     * Contacts never dialed, after `afterSeq`. Only `pending` ones: a contact in flight or waiting
     * for a retry lives in the workflow's state, so a cursor rewound at continue-as-new cannot
     * dial it a second time.
     */
    async campaignFetchContacts({ campaignId, afterSeq, limit }: { campaignId: string; afterSeq: number; limit: number }): Promise<ContactToCall[]> {
      return sql<ContactToCall[]>`
        select id as "contactId", seq, phone_e164 as phone, attempts from contacts
        where campaign_id = ${campaignId} and seq > ${afterSeq} and state = 'pending'
        order by seq limit ${limit}`;
    },

    /**
     * Leases for as many of `callIds` as the account's limit allows right now, in order. Idempotent
     * by call id: a retried activity re-grants what it granted before.
     */
    async campaignAcquireCallSlots({ accountId, campaignId, callIds, ttlSec }: { accountId: string; campaignId: string; callIds: string[]; ttlSec: number }): Promise<string[]> {
      return sql.begin(async (tx) => {
        const [acct] = await tx<{ max: number }[]>`select max_concurrent_calls as max from accounts where id = ${accountId} for update`;
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
    async campaignRecordResults({ results, started }: { results: ContactResult[]; started: { contactId: string; attempt: number }[] }) {
      await sql.begin(async (tx) => {
        if (results.length) {
          await tx`delete from call_leases where call_id = any(${results.map((r) => r.callId)}::uuid[])`;
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

    async campaignReleaseSlots({ callIds }: { callIds: string[] }) {
      if (callIds.length) await sql`delete from call_leases where call_id = any(${callIds}::uuid[])`;
    },

    async campaignSetStatus({ campaignId, status, pauseReason }: { campaignId: string; status: string; pauseReason?: string | null }) {
      await sql`
        update campaigns set status = ${status}, pause_reason = ${pauseReason ?? null},
          started_at = coalesce(started_at, case when ${status} = 'running' then now() end),
          finished_at = case when ${status} in ('completed', 'canceled', 'failed') then coalesce(finished_at, now()) else finished_at end
        where id = ${campaignId}`;
    },

    /** One open alert per condition; a second raise while it is open is a no-op. */
    async campaignRaiseAlert({ accountId, campaignId, kind, payload }: { accountId: string; campaignId: string; kind: string; payload: Record<string, unknown> }) {
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
