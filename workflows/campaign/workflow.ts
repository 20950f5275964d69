import {
  ParentClosePolicy, allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, proxyLocalActivities, setHandler, startChild, uuid4, workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities, ContactResult, ContactToCall } from '../../activities/campaign';
import { TASK_QUEUES, callWorkflowId } from '../../lib/ids';
import { SA } from '../../lib/search-attributes';
import type { CallInput } from '../call/contract';
import { callMemo, callSearchAttributes } from '../call/visibility';
import {
  callFinishedSignal, cancelUpdate, pauseUpdate, progressQuery, resumeUpdate,
  type CampaignCarry, type CampaignControlResult, type CampaignInput, type CampaignProgress, type CampaignStatus, type RetryItem,
} from './contract';

const acts = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
const { campaignWindow } = proxyLocalActivities<CampaignActivities>({ startToCloseTimeout: '5 seconds' });

const PAGE = 200;
/** How long to wait before asking again when the account's concurrent-call limit is reached. */
const SLOT_POLL_MS = 3_000;

interface WorkItem {
  contactId: string;
  phone: string;
  /** attempt number (one per call; numbers are never reused) */
  attempt: number;
  /** attempts that count against the retry policy (a refused credit hold does not) */
  tries: number;
  fromRetry: boolean;
  /** the contact's position, for first attempts (the page cursor rewinds to it) */
  seq: number;
}

/**
 * A campaign (id `campaign/<campaignId>`): a sliding window of at most maxConcurrentCalls child
 * callWorkflows over the campaign's contacts, read in pages (design: Campaign).
 *
 * - Children are started with ParentClosePolicy.ABANDON and report back by signalling this
 *   workflow's id, which survives continue-as-new. Call ids are minted with the workflow's
 *   deterministic uuid4(), so a replay after a worker crash restarts nothing: a dial happens once.
 * - Retries of no-answer/busy/… are new attempts (new callId, same contact) after a back-off.
 * - A call refused for insufficient credits pauses the campaign (reason insufficient_credits) and
 *   raises an alert; the contact is tried again, not charged an attempt, after `resume`.
 * - pause / resume / cancel are updates returning the new state; cancel stops dialing and lets
 *   calls in flight finish and settle.
 * - Continue-as-new every `callsPerRun` calls (or when the server suggests it) carries the cursor,
 *   in-flight calls, pending retries and counters.
 */
export async function campaignWorkflow(input: CampaignInput): Promise<CampaignProgress> {
  const s = input.settings;
  const carry: CampaignCarry = input.carry ?? {
    cursor: 0, exhausted: false, status: 'running', pauseReason: null, inFlight: {}, retries: [], generation: 0,
    counters: { contactsDone: 0, attemptsStarted: 0, attemptsFinished: 0, byStatus: {}, chargedMicro: 0 },
  };
  let { cursor, exhausted, status, pauseReason } = carry;
  const inFlight = new Map<string, WorkItem>(Object.entries(carry.inFlight).map(([id, f]) => [id, { ...f, tries: (f as WorkItem).tries ?? f.attempt, fromRetry: false, seq: -1 }]));
  const retries: (RetryItem & { tries?: number })[] = [...carry.retries];
  const counters = JSON.parse(JSON.stringify(carry.counters)) as CampaignCarry['counters'];
  const buffer: ContactToCall[] = [];
  const finished: ContactResult[] = [];
  const started: { contactId: string; attempt: number }[] = [];
  let waitingForWindow = false;
  let callsThisRun = 0;
  let statusWritten: string | undefined = input.carry ? `${status}:${pauseReason}` : undefined;
  let alertPending = false;
  let windowOpenUntil = 0;
  const wfId = workflowInfo().workflowId;
  // Memo and every search attribute set at startChild (free) instead of upserted by the call (billed).
  const fullStartAttributes = patched('fewer-call-actions');
  // A child can finish and report before this workflow sees its start confirmed (a zero-length call,
  // a loaded server): it must already be in flight then, or its report is taken for a duplicate and
  // the campaign waits for it forever.
  const inFlightBeforeStart = patched('campaign-inflight-before-start');

  const progress = (): CampaignProgress => ({
    campaignId: input.campaignId, status, pauseReason, inFlight: inFlight.size, pendingRetries: retries.length,
    waitingForWindow, counters, generation: carry.generation,
  });
  const control = (): CampaignControlResult => ({ status, pauseReason });
  const notFinal = () => {
    if (status === 'completed' || status === 'canceled') throw new Error(`campaign is ${status}`);
  };

  setHandler(progressQuery, progress);
  setHandler(pauseUpdate, (arg) => {
    if (status === 'running') {
      status = 'paused';
      pauseReason = arg?.reason ?? 'operator';
    }
    return control();
  }, { validator: (_arg) => notFinal() });
  setHandler(resumeUpdate, () => {
    if (status === 'paused') {
      status = 'running';
      pauseReason = null;
    }
    return control();
  }, { validator: notFinal });
  setHandler(cancelUpdate, () => {
    if (status === 'running' || status === 'paused') {
      status = 'canceling';
      pauseReason = null;
    }
    return control();
  }, { validator: notFinal });

  setHandler(callFinishedSignal, (r) => {
    const f = inFlight.get(r.callId);
    if (!f) return; // a duplicate report
    inFlight.delete(r.callId);
    counters.attemptsFinished++;
    counters.byStatus[r.status] = (counters.byStatus[r.status] ?? 0) + 1;
    counters.chargedMicro += r.chargedMicro;
    if (r.status === 'insufficient_credits' && status !== 'canceling') {
      retries.unshift({ contactId: f.contactId, phone: f.phone, attempt: f.attempt + 1, tries: f.tries, notBeforeMs: 0 });
      finished.push({ contactId: f.contactId, callId: r.callId, attempt: f.attempt, status: r.status, final: false });
      if (status === 'running') {
        status = 'paused';
        pauseReason = 'insufficient_credits';
        alertPending = true;
      }
      return;
    }
    const again = status !== 'canceling' && (s.retry.retryOn as string[]).includes(r.status) && f.tries < s.retry.maxAttempts;
    if (again) {
      retries.push({ contactId: f.contactId, phone: f.phone, attempt: f.attempt + 1, tries: f.tries + 1, notBeforeMs: Date.now() + s.retry.backoffSec * 1000 * 2 ** (f.tries - 1) });
    } else {
      counters.contactsDone++;
    }
    finished.push({ contactId: f.contactId, callId: r.callId, attempt: f.attempt, status: r.status, final: !again });
  });

  const dbStatus = (st: CampaignStatus) => (st === 'canceling' ? 'running' : st);
  async function flush() {
    if (finished.length || started.length) {
      await acts.campaignRecordResults({ results: finished.splice(0), started: started.splice(0) });
    }
    const key = `${status}:${pauseReason}`;
    if (key !== statusWritten) {
      statusWritten = key;
      await acts.campaignSetStatus({ campaignId: input.campaignId, status: dbStatus(status), pauseReason: status === 'canceling' ? 'canceling' : pauseReason });
    }
    if (alertPending) {
      alertPending = false;
      await acts.campaignRaiseAlert({ accountId: input.accountId, campaignId: input.campaignId, kind: 'insufficient_credits', payload: { campaignId: input.campaignId } });
    }
  }

  const somethingChanged = (st: CampaignStatus, n: number) => () => status !== st || inFlight.size !== n || finished.length > 0;

  /** Up to `n` items due now: retries first, then contacts in order. */
  async function nextItems(n: number): Promise<WorkItem[]> {
    const now = Date.now();
    const items: WorkItem[] = [];
    retries.sort((a, b) => a.notBeforeMs - b.notBeforeMs);
    while (items.length < n && retries.length && retries[0]!.notBeforeMs <= now) {
      const r = retries.shift()!;
      items.push({ contactId: r.contactId, phone: r.phone, attempt: r.attempt, tries: r.tries ?? r.attempt, fromRetry: true, seq: -1 });
    }
    while (items.length < n) {
      if (!buffer.length && !exhausted) {
        const page = await acts.campaignFetchContacts({ campaignId: input.campaignId, afterSeq: cursor, limit: PAGE });
        if (page.length < PAGE) exhausted = true;
        if (page.length) cursor = page[page.length - 1]!.seq;
        buffer.push(...page);
      }
      const c = buffer.shift();
      if (!c) break;
      items.push({ contactId: c.contactId, phone: c.phone, attempt: c.attempts + 1, tries: c.attempts + 1, fromRetry: false, seq: c.seq });
    }
    return items;
  }

  function putBack(items: WorkItem[]) {
    for (const it of [...items].reverse()) {
      if (it.fromRetry) retries.unshift({ contactId: it.contactId, phone: it.phone, attempt: it.attempt, tries: it.tries, notBeforeMs: 0 });
      else buffer.unshift({ contactId: it.contactId, seq: it.seq, phone: it.phone, attempts: it.attempt - 1 });
    }
  }

  async function startCall(it: WorkItem, callId: string) {
    const callInput: CallInput = {
      callId, accountId: input.accountId, campaignId: input.campaignId, contactId: it.contactId, attempt: it.attempt,
      to: it.phone, defaultRegion: input.defaultRegion, maxDurationSec: s.maxDurationSec, ringTimeoutSec: s.ringTimeoutSec,
      voicemailPolicy: s.voicemailPolicy, agentId: input.agentId, parentWorkflowId: wfId,
      ...(input.dialerTaskQueue ? { dialerTaskQueue: input.dialerTaskQueue } : {}),
      ...(input.callTimeouts ? { timeouts: input.callTimeouts } : {}),
    };
    await startChild('callWorkflow', {
      workflowId: callWorkflowId(callId),
      taskQueue: input.callTaskQueue ?? TASK_QUEUES.orchestration,
      args: [callInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      ...(fullStartAttributes
        ? { memo: { ...callMemo(callInput) }, typedSearchAttributes: callSearchAttributes(callInput, 'validating') }
        : { typedSearchAttributes: [{ key: SA.AccountId, value: input.accountId }, { key: SA.CampaignId, value: input.campaignId }] }),
    });
  }

  if (!input.carry) statusWritten = undefined;
  for (;;) {
    await flush();
    if (status === 'canceling' && inFlight.size === 0) {
      status = 'canceled';
      break;
    }
    if (status === 'running' && exhausted && !buffer.length && !retries.length && inFlight.size === 0) {
      status = 'completed';
      break;
    }
    if (callsThisRun >= (input.callsPerRun ?? 300) || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // Signals handled while a flush is awaited add results: flush until nothing is pending, then
      // build the carry with no await before continueAsNew, so no report can fall in between.
      do await flush();
      while (finished.length || started.length || alertPending);
      const next: CampaignCarry = {
        // contacts fetched but not started are read again by the next run: rewind to the first
        cursor: buffer.length ? Math.min(...buffer.map((b) => b.seq)) - 1 : cursor,
        exhausted: exhausted && !buffer.length,
        status, pauseReason, retries,
        inFlight: Object.fromEntries([...inFlight].map(([id, f]) => [id, { contactId: f.contactId, phone: f.phone, attempt: f.attempt, tries: f.tries }])),
        counters, generation: carry.generation + 1,
      };
      await continueAsNew<typeof campaignWorkflow>({ ...input, carry: next });
    }
    if (status !== 'running') {
      await condition(somethingChanged(status, inFlight.size));
      continue;
    }
    if (s.callingWindow && Date.now() >= windowOpenUntil) {
      const pos = await campaignWindow({ window: s.callingWindow, nowMs: Date.now() });
      if (!pos.open) {
        waitingForWindow = true;
        await condition(somethingChanged(status, inFlight.size), pos.msUntilChange);
        waitingForWindow = false;
        continue;
      }
      windowOpenUntil = Date.now() + pos.msUntilChange;
    }
    const free = s.maxConcurrentCalls - inFlight.size;
    if (free <= 0) {
      await condition(somethingChanged(status, inFlight.size));
      continue;
    }
    const items = await nextItems(free);
    if (!items.length) {
      const due = retries.length ? Math.max(retries[0]!.notBeforeMs - Date.now(), 1) : undefined;
      await condition(somethingChanged(status, inFlight.size), due);
      continue;
    }
    const planned = items.map((it) => ({ it, callId: uuid4() }));
    const granted = new Set(await acts.campaignAcquireCallSlots({
      accountId: input.accountId, campaignId: input.campaignId, callIds: planned.map((p) => p.callId),
      ttlSec: s.maxDurationSec + s.ringTimeoutSec + 600,
    }));
    const go = planned.filter((p) => granted.has(p.callId));
    putBack(planned.filter((p) => !granted.has(p.callId)).map((p) => p.it));
    const failedStarts: string[] = [];
    await Promise.all(go.map(async ({ it, callId }) => {
      try {
        if (inFlightBeforeStart) inFlight.set(callId, it);
        await startCall(it, callId);
        if (!inFlightBeforeStart) inFlight.set(callId, it);
        started.push({ contactId: it.contactId, attempt: it.attempt });
        counters.attemptsStarted++;
        callsThisRun++;
      } catch (err) {
        log.error('could not start a call', { callId, error: String(err) });
        inFlight.delete(callId);
        failedStarts.push(callId);
        putBack([it]);
      }
    }));
    if (failedStarts.length) await acts.campaignReleaseSlots({ callIds: failedStarts });
    if (go.length < planned.length) await condition(somethingChanged(status, inFlight.size), SLOT_POLL_MS);
  }
  await flush();
  return progress();
}
