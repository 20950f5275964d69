import {
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { CampaignActivities } from '../../activities/campaign';
import { TASK_QUEUES, callWorkflowId } from '../../lib/ids';
import type { CallInput } from '../call/contract';
import { callMemo, callSearchAttributes } from '../call/visibility';
import {
  callFinishedSignal,
  cancelUpdate,
  creditsAddedSignal,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  type CampaignInput,
  type CampaignProgress,
} from './contract';
import { CampaignWindow, DEFAULT_CHECK_EVERY_SEC, PAGE_SIZE, SLOT_POLL_MS, type DueAttempt } from './window';

const acts = proxyActivities<CampaignActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});
const { campaignWindow } = proxyLocalActivities<CampaignActivities>({ startToCloseTimeout: '5 seconds' });

/**
 * A campaign (id `campaign/<campaignId>`), as the design's Campaign section tells it: a window of
 * at most maxConcurrentCalls child callWorkflows over the contacts, read in pages; retries after a
 * back-off; a pause when credits run out that lifts itself once the balance covers a call again;
 * a periodic check of calls in flight; continue-as-new every `callsPerRun` calls. The rules live in
 * CampaignWindow; handlers only hand over to it, and this loop stores, checks, dials and waits.
 */
export async function campaignWorkflow(input: CampaignInput): Promise<CampaignProgress> {
  const w = new CampaignWindow(input);
  const checkMs = (input.checkEverySec ?? DEFAULT_CHECK_EVERY_SEC) * 1000;
  setHandler(progressQuery, () => w.progress());
  setHandler(pauseUpdate, (a) => w.pause(a?.reason ?? 'operator'), { validator: (_a) => w.assertLive() });
  setHandler(resumeUpdate, () => w.resume(), { validator: () => w.assertLive() });
  setHandler(cancelUpdate, () => w.cancel(), { validator: () => w.assertLive() });
  setHandler(callFinishedSignal, (r) => w.report(r, Date.now()));
  setHandler(creditsAddedSignal, () => w.creditsMayCover());
  void checkPeriodically(w, checkMs);

  for (;;) {
    await store(w, input);
    w.settleIfDone();
    if (w.finished) break;
    if (w.shouldContinueAsNew(workflowInfo().continueAsNewSuggested)) {
      await condition(allHandlersFinished);
      // Write until nothing is pending, then carry with no await in between: no report falls through.
      while (w.hasWrites) await store(w, input);
      return continueAsNew<typeof campaignWorkflow>({ ...input, carry: w.carry() });
    }
    if (w.checkCallsDue) {
      const callIds = w.callsToCheck(Date.now(), checkMs);
      w.checked(callIds.length ? await acts.campaignCheckCalls({ callIds, leaseTtlSec: w.leaseTtlSec }) : [], Date.now());
    }
    // After the pause was stored: a top-up that looked for paused campaigns before it was is seen here.
    if (w.creditCheckDue)
      w.creditsChecked(
        await acts.campaignCreditsCover({ accountId: input.accountId, maxDurationSec: input.settings.maxDurationSec }),
      );
    const seen = w.version;
    const waitMs = await dialDue(w, input);
    if (waitMs !== 0) await condition(() => w.version !== seen || w.hasWrites, waitMs);
    w.waitingForWindow = false;
  }
  while (w.hasWrites) await store(w, input);
  return w.progress();
}

/** One timer per period, only while a call is in flight or credits are awaited. */
async function checkPeriodically(w: CampaignWindow, checkMs: number): Promise<void> {
  for (;;) {
    await condition(() => w.inFlightCount > 0 || w.pausedForCredits);
    await sleep(checkMs);
    w.tick(Date.now(), checkMs);
  }
}

/** Contact results and starts, then the status until Postgres holds the workflow's, then an alert. */
async function store(w: CampaignWindow, input: CampaignInput): Promise<void> {
  const writes = w.takeWrites();
  if (writes) await acts.campaignRecordResults(writes);
  for (let s = w.statusToStore(); s; s = w.statusToStore()) {
    await acts.campaignSetStatus({ campaignId: input.campaignId, ...s });
    w.statusStored(s);
  }
  if (w.alertPending) {
    w.alertPending = false;
    await acts.campaignRaiseAlert({
      accountId: input.accountId,
      campaignId: input.campaignId,
      kind: 'insufficient_credits',
      payload: { campaignId: input.campaignId },
    });
  }
}

/**
 * Starts what is due and fits: 0 when calls were started (go on), else how long to wait for
 * (undefined: until something changes).
 */
async function dialDue(w: CampaignWindow, input: CampaignInput): Promise<number | undefined> {
  const free = w.freeSlots();
  if (!free) return undefined;
  if (input.settings.callingWindow && w.needsWindowCheck(Date.now())) {
    const pos = await campaignWindow({ window: input.settings.callingWindow, nowMs: Date.now() });
    if (!w.windowChecked(pos, Date.now())) return pos.msUntilChange;
  }
  if (w.needsPage())
    w.addPage(await acts.campaignFetchContacts({ campaignId: input.campaignId, afterSeq: w.cursorSeq, limit: PAGE_SIZE }));
  const due = await withPhones(w, input, w.takeDue(free, Date.now()));
  if (!due.length) return w.msUntilDue(Date.now());
  const planned = due.map((it) => ({ it, callId: uuid4() }));
  const granted = new Set(
    await acts.campaignAcquireCallSlots({
      accountId: input.accountId,
      campaignId: input.campaignId,
      callIds: planned.map((p) => p.callId),
      ttlSec: w.leaseTtlSec,
    }),
  );
  w.putBack(planned.filter((p) => !granted.has(p.callId)).map((p) => p.it));
  const failed: string[] = [];
  await Promise.all(
    planned
      .filter((p) => granted.has(p.callId))
      .map(async ({ it, callId }) => {
        w.reserve(callId, it, Date.now());
        try {
          await startCall(input, it, callId);
          w.started(it);
        } catch (err) {
          log.error('could not start a call', { callId, error: String(err) });
          w.startFailed(callId, it);
          failed.push(callId);
        }
      }),
  );
  if (failed.length) await acts.campaignReleaseSlots({ callIds: failed });
  return granted.size < planned.length ? SLOT_POLL_MS : 0;
}

/** Queued attempts carry no number: look them up, and end the attempts of a contact that has none. */
async function withPhones(w: CampaignWindow, input: CampaignInput, due: DueAttempt[]): Promise<DueAttempt[]> {
  const ids = due.filter((d) => !d.phone).map((d) => d.contactId);
  if (!ids.length) return due;
  const phones = await acts.campaignContactPhones({ campaignId: input.campaignId, contactIds: ids });
  for (const d of due) if (!d.phone && !phones[d.contactId]) w.dropContact(d);
  return due.flatMap((d) => (d.phone ? [d] : phones[d.contactId] ? [{ ...d, phone: phones[d.contactId] }] : []));
}

/** The child: ABANDON, so it outlives this run's continue-as-new; memo and attributes set at start (free). */
async function startCall(input: CampaignInput, it: DueAttempt, callId: string): Promise<void> {
  const s = input.settings;
  const callInput: CallInput = {
    callId,
    accountId: input.accountId,
    campaignId: input.campaignId,
    contactId: it.contactId,
    attempt: it.attempt,
    to: it.phone!,
    defaultRegion: input.defaultRegion,
    maxDurationSec: s.maxDurationSec,
    ringTimeoutSec: s.ringTimeoutSec,
    voicemailPolicy: s.voicemailPolicy,
    agentId: input.agentId,
    parentWorkflowId: workflowInfo().workflowId,
    ...(input.dialerTaskQueue ? { dialerTaskQueue: input.dialerTaskQueue } : {}),
    ...(input.callTimeouts ? { timeouts: input.callTimeouts } : {}),
  };
  await startChild('callWorkflow', {
    workflowId: callWorkflowId(callId),
    taskQueue: input.callTaskQueue ?? TASK_QUEUES.orchestration,
    args: [callInput],
    parentClosePolicy: ParentClosePolicy.ABANDON,
    memo: { ...callMemo(callInput) },
    typedSearchAttributes: callSearchAttributes(callInput, 'validating'),
  });
}
