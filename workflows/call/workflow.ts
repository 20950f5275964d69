import {
  ApplicationFailure,
  CancellationScope,
  ActivityFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { TASK_QUEUES } from '../../lib/ids';
import { SA } from '../../lib/search-attributes';
import type { CallActivities, DialerActivities, DialResult } from '../../activities/call/types';
import { CALL_ROW_REJECTED, DIAL_FAILURE, INSUFFICIENT_CREDITS, NON_RETRYABLE_DIAL_FAILURES } from '../../activities/call/types';
import { callFinishedSignal } from '../campaign/contract';
import {
  attachMediaUpdate,
  callAgentQuery,
  callAmdQuery,
  callStateQuery,
  mediaEndedSignal,
  mediaStartedSignal,
  outcomeSignal,
  telephonyStatusSignal,
  transcriptSignal,
  usageSignal,
  type CallAgentView,
  type CallInput,
  type CallResult,
  type CallState,
  type CallStatus,
  type CallTerminalStatus,
  type MediaAttachRequest,
  type MediaEndedEvent,
  type TelephonyStatusEvent,
} from './contract';
import { endsHeldStream, judgeAttach, type MediaClaim } from './media-claim';
import { finalImpliesAnswer, isMachine, isProviderFinal, providerRank, unansweredTerminal } from './status';
import { callMemo, callSearchAttributes, publishedStatus } from './visibility';

const DEFAULT_RING_GRACE_SEC = 60;
const DEFAULT_END_GRACE_SEC = 20;
const MAX_TRANSCRIPT_TURNS = 2_000;

const acts = proxyActivities<CallActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', nonRetryableErrorTypes: [INSUFFICIENT_CREDITS, CALL_ROW_REJECTED] },
});
// Hang-up gives up after a while: Twilio's TimeLimit ends the call anyway and billing is capped.
const { callHangup } = proxyActivities<CallActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 6 },
});
// Asked only when a callback did not come; bounded like the hang-up, and its failure is not the call's.
const { callProviderStatus } = proxyActivities<CallActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});
/** Workflows started before this change never asked the provider; their histories replay without it. */
const PROVIDER_STATUS_PATCH = 'ask-provider-when-callback-missing';
const { callValidateNumber } = proxyLocalActivities<CallActivities>({ startToCloseTimeout: '5 seconds' });
const { callLoadAgent } = proxyLocalActivities<Required<Pick<CallActivities, 'callLoadAgent'>>>({ startToCloseTimeout: '5 seconds' });

function dialer(taskQueue: string) {
  return proxyActivities<DialerActivities>({
    taskQueue,
    // The REST create times out after 10 s inside; 30 s leaves room for the DB writes around it.
    startToCloseTimeout: '30 seconds',
    // A backlog in the rate-limited queue gives up before an attempt starts, never during one: a
    // schedule-to-close timeout could abandon an attempt mid-create and leave a live, unbilled call.
    scheduleToStartTimeout: '10 minutes',
    // Eager dispatch would bypass the dialer queue's server-side rate limit.
    allowEagerDispatch: false,
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '20 seconds', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE_DIAL_FAILURES },
  });
}

/**
 * One call attempt, from credit hold to settled cost (design: Call lifecycle).
 *
 * The whole run executes in a non-cancellable scope and watches cancellation as a flag, so a
 * cancel can only take effect at the waits, and every path out — canceled, failed, finished —
 * runs its compensation (hang up, void or settle) to completion.
 */
export async function callWorkflow(input: CallInput): Promise<CallResult> {
  // Fewer billed actions per call: attributes and memo taken from the start when the campaign set
  // them, CallStatus upserted only at the answer and the end, credit hold in the callBegin activity.
  const fewerActions = patched('fewer-call-actions');
  const state: CallState = {
    callId: input.callId,
    status: 'validating',
    transcript: [],
    usage: { sttAudioMs: 0, promptTokens: 0, completionTokens: 0, ttsCharacters: 0 },
  };
  let rank = -1;
  let providerFinal: { status: string; durationSec?: number } | undefined;
  let answeredAtMs: number | undefined;
  /** The one media stream that carries this call; set once, never moved (design: media claim). */
  let mediaClaim: MediaClaim | undefined;
  let mediaEnded: MediaEndedEvent | undefined;
  let canceled = false;

  const markAnswered = () => {
    if (answeredAtMs !== undefined) return;
    answeredAtMs = Date.now();
    state.answeredAt = new Date(answeredAtMs).toISOString();
  };
  /** Status callbacks and gateway signals are routed by callId; the first SID we learn is the call. */
  const sameCall = (callSid: string) => {
    if (!state.callSid) state.callSid = callSid;
    return state.callSid === callSid;
  };

  setHandler(callStateQuery, () => state);
  // Bridge until the v1 call workflow (calls branch) lands: a campaign passes the agent by reference.
  let agent = input.agent;
  const agentView = (): CallAgentView => ({
    callId: input.callId,
    accountId: input.accountId,
    ...(input.campaignId ? { campaignId: input.campaignId } : {}),
    status: state.status,
    agent: agent!,
    voicemailPolicy: input.voicemailPolicy,
    ...(state.answeredBy ? { answeredBy: state.answeredBy } : {}),
  });
  // Queries leave no trace in history: adding these handlers needs no patch.
  setHandler(callAgentQuery, agentView);
  setHandler(callAmdQuery, () => ({ status: state.status, ...(state.answeredBy ? { answeredBy: state.answeredBy } : {}) }));
  const applyStatus = (ev: TelephonyStatusEvent) => {
    if (!sameCall(ev.callSid)) return log.warn('status callback for another call SID ignored', { callSid: ev.callSid });
    if (ev.answeredBy && (!state.answeredBy || state.answeredBy === 'unknown')) state.answeredBy = ev.answeredBy;
    const r = providerRank(ev.status);
    if (r === undefined || providerFinal || r <= rank) return; // unknown, after the end, duplicate or late
    rank = r;
    if (ev.status === 'ringing' && state.status === 'dialing') setStatus('ringing');
    if (ev.status === 'in-progress') markAnswered();
    if (isProviderFinal(ev.status)) {
      providerFinal = { status: ev.status, durationSec: ev.durationSec };
      if (finalImpliesAnswer(ev.status)) markAnswered();
    }
  };
  setHandler(telephonyStatusSignal, applyStatus);
  // Older gateways: their stream takes the claim if it is free, so a newer gateway cannot attach a second one.
  setHandler(mediaStartedSignal, (ev) => {
    if (!sameCall(ev.callSid)) return;
    mediaClaim ??= { streamSid: ev.streamSid };
    markAnswered(); // media flows only on an answered call
  });
  // No patch: the handler issues no command, and histories written before it hold no attachMedia.
  // Rejections (validator) leave no event; an accepted attach is one, as the signal it replaces.
  const judgeOrRefuse = (req: MediaAttachRequest) => {
    const v = judgeAttach(mediaClaim, req, { status: state.status, callSid: state.callSid, over: !!providerFinal || !!mediaEnded || canceled });
    if (!v.ok) throw ApplicationFailure.create({ type: v.type, message: v.message, nonRetryable: true });
    return v;
  };
  setHandler(
    attachMediaUpdate,
    (req) => {
      // Re-judged here too: another attach accepted in the same workflow task may have got there first.
      const v = judgeOrRefuse(req);
      if (!v.repeat) {
        sameCall(req.callSid);
        mediaClaim = { streamSid: req.streamSid, attachId: req.attachId };
        markAnswered();
      }
      return agentView();
    },
    { validator: (req) => void judgeOrRefuse(req) },
  );
  setHandler(transcriptSignal, (turn) => {
    const i = state.transcript.findIndex((t) => t.seq === turn.seq);
    if (i >= 0) state.transcript[i] = turn;
    else if (state.transcript.length < MAX_TRANSCRIPT_TURNS) {
      state.transcript.push(turn);
      state.transcript.sort((a, b) => a.seq - b.seq);
    }
  });
  setHandler(usageSignal, (u) => {
    // Cumulative totals: the larger value wins, so a duplicate or late signal cannot lower or double-count.
    const s = state.usage;
    s.sttAudioMs = Math.max(s.sttAudioMs, u.sttAudioMs);
    s.promptTokens = Math.max(s.promptTokens, u.promptTokens);
    s.completionTokens = Math.max(s.completionTokens, u.completionTokens);
    s.ttsCharacters = Math.max(s.ttsCharacters, u.ttsCharacters);
    if (u.llmReportedCostMicro !== undefined) s.llmReportedCostMicro = Math.max(s.llmReportedCostMicro ?? 0, u.llmReportedCostMicro);
  });
  setHandler(outcomeSignal, (o) => {
    state.outcome = o;
  });
  setHandler(mediaEndedSignal, (ev) => {
    // A stream that never held the call (refused, or unsure after a failed attach) cannot end it.
    if (!endsHeldStream(mediaClaim, ev.streamSid)) return log.warn('mediaEnded from a stream that does not hold the call ignored', { streamSid: ev.streamSid });
    mediaEnded ??= ev;
  });

  function setStatus(status: CallStatus) {
    if (state.status === status) return;
    state.status = status;
    if (!fewerActions || publishedStatus(status)) upsertSearchAttributes([{ key: SA.CallStatus, value: status }]);
  }

  CancellationScope.current().cancelRequested.catch(() => {
    canceled = true;
  });

  if (fewerActions) {
    // Upsert only what the start did not already carry (a campaign child carries it all).
    const info = workflowInfo();
    const memo = callMemo(input);
    if (info.memo?.toLast4 !== memo.toLast4 || info.memo?.attempt !== memo.attempt) upsertMemo({ ...memo });
    const missing = callSearchAttributes(input, state.status).filter((p) => info.typedSearchAttributes.get(p.key) !== p.value);
    if (missing.length) upsertSearchAttributes(missing);
  } else {
    upsertMemo({ toLast4: input.to.replace(/\D/g, '').slice(-4), attempt: input.attempt });
    upsertSearchAttributes([
      { key: SA.AccountId, value: input.accountId },
      ...(input.campaignId ? [{ key: SA.CampaignId, value: input.campaignId }] : []),
      { key: SA.CallStatus, value: state.status },
    ]);
  }

  const ringGraceMs = (input.timeouts?.ringGraceSec ?? DEFAULT_RING_GRACE_SEC) * 1000;
  const endGraceMs = (input.timeouts?.endGraceSec ?? DEFAULT_END_GRACE_SEC) * 1000;

  const finish = async (result: Omit<CallResult, 'callId'>): Promise<CallResult> => {
    const full: CallResult = { callId: input.callId, ...result };
    setStatus(full.status);
    if (input.parentWorkflowId) {
      try {
        await getExternalWorkflowHandle(input.parentWorkflowId).signal(callFinishedSignal, { ...full, contactId: input.contactId, attempt: input.attempt });
      } catch (err) {
        // The campaign is gone (finished or terminated): the call's own record is still complete.
        log.warn('could not report to the parent campaign', { parent: input.parentWorkflowId, error: String(err) });
      }
    }
    return full;
  };

  /** Ends an attempt that never reached a person: releases the whole hold, charges nothing. */
  const endUnanswered = async (status: CallTerminalStatus, holdKey: string | undefined, error?: string) => {
    await acts.callFinishUnanswered({ callId: input.callId, status, holdKey, callSid: state.callSid, answeredBy: state.answeredBy, error });
    return finish({ status, durationSec: 0, chargedMicro: 0, providerCostMicro: 0, ...(error ? { error } : {}) });
  };

  const hangup = async () => {
    if (!state.callSid || providerFinal) return;
    try {
      await callHangup({ callId: input.callId, callSid: state.callSid });
    } catch (err) {
      log.error('hang-up failed; the TimeLimit backstop ends the call', { error: failureMessage(err) });
    }
  };

  /**
   * Status callbacks can be lost (our API down or unreachable when Twilio posts): where the workflow
   * would otherwise conclude without a final status — the ring window or the maximum duration passed,
   * or the end grace after our hang-up — it asks the provider, and a final status found there is
   * applied as if its callback had come, so the call is settled on Twilio's own duration.
   */
  const askProvider = async () => {
    if (providerFinal || !state.callSid || !patched(PROVIDER_STATUS_PATCH)) return;
    const callSid = state.callSid;
    try {
      const s = await callProviderStatus({ callId: input.callId, callSid });
      if (s) applyStatus({ callSid, status: s.status, durationSec: s.durationSec, answeredBy: s.answeredBy, at: new Date().toISOString() });
    } catch (err) {
      log.warn('could not ask the provider for the call status; going by our own timers', { error: failureMessage(err) });
    }
  };

  const run = async (): Promise<CallResult> => {
    // 1. Validate. A local activity, so the verdict is recorded in history: a newer phone-number
    //    metadata version can never change the branch a replay takes.
    agent ??= await callLoadAgent({ accountId: input.accountId, agentId: input.agentId ?? '' });
    const v = await callValidateNumber({ to: input.to, defaultRegion: input.defaultRegion });
    const { agent: _agent, ...rowInput } = input;
    // No row, no hold, no dial: report the failure so a campaign's window does not wait forever.
    const rowRejected = (err: unknown) => finish({ status: 'failed', durationSec: 0, chargedMicro: 0, providerCostMicro: 0, error: failureMessage(err) });
    const holdRefused = (err: unknown) => {
      if (failureType(err) === INSUFFICIENT_CREDITS) return endUnanswered('insufficient_credits', undefined, 'insufficient credits for the call maximum');
      // Any other refusal (e.g. a reused key) is final too; nothing is held, so nothing to undo.
      if (err instanceof ActivityFailure) return endUnanswered('failed', undefined, `hold refused: ${failureMessage(err)}`);
      throw err;
    };
    let holdKey: string;
    if (fewerActions) {
      // 1+2. Record the call and hold credits for the longest it may last, in one activity.
      if (v.ok) setStatus('holding');
      let held: { holdKey: string } | null;
      try {
        held = await acts.callBegin({ input: rowInput, toE164: v.ok ? v.e164 : null, holdForSec: input.maxDurationSec });
      } catch (err) {
        if (failureType(err) === CALL_ROW_REJECTED) return rowRejected(err);
        return holdRefused(err);
      }
      if (!v.ok) return endUnanswered('invalid_number', undefined, v.reason);
      if (canceled) return endUnanswered('canceled', held?.holdKey);
      holdKey = held!.holdKey;
    } else {
      try {
        await acts.callBegin({ input: rowInput, toE164: v.ok ? v.e164 : null });
      } catch (err) {
        if (failureType(err) !== CALL_ROW_REJECTED) throw err;
        return rowRejected(err);
      }
      if (!v.ok) return endUnanswered('invalid_number', undefined, v.reason);
      if (canceled) return endUnanswered('canceled', undefined);

      // 2. Hold credits for the longest the call may last.
      setStatus('holding');
      try {
        holdKey = (await acts.callHold({ callId: input.callId, accountId: input.accountId, maxDurationSec: input.maxDurationSec })).holdKey;
      } catch (err) {
        return holdRefused(err);
      }
      if (canceled) return endUnanswered('canceled', holdKey);
    }

    // 3. Dial (rate-limited dialer queue; idempotent, see activities/call/dialer.ts).
    setStatus('dialing');
    let dial: DialResult;
    try {
      dial = await dialer(input.dialerTaskQueue ?? TASK_QUEUES.dialer).callDial({
        callId: input.callId,
        to: v.e164,
        ringTimeoutSec: input.ringTimeoutSec,
        maxDurationSec: input.maxDurationSec,
        voicemailPolicy: input.voicemailPolicy,
      });
    } catch (err) {
      const type = failureType(err);
      // A call announced by its own status callback despite the failed dial is hung up, not left ringing.
      await hangup();
      return endUnanswered(type === DIAL_FAILURE.invalidNumber ? 'invalid_number' : 'failed', holdKey, `dial failed: ${failureMessage(err)}`);
    }
    if (dial.outcome === 'dialed') {
      state.callSid = dial.callSid;
      // Only `answered` and `completed` callbacks are requested (each is a signal, a billed action):
      // a created call is ringing, or about to, until one of them arrives.
      if (fewerActions) setStatus('ringing');
    }

    // 4. Wait for an answer, a final status, or the ring window to pass.
    const answered = () => answeredAtMs !== undefined;
    await condition(() => answered() || !!providerFinal || canceled, (input.ringTimeoutSec * 1000) + ringGraceMs);
    // Nothing heard by the end of the ring window: the call may be up, or over, with its callbacks lost.
    if (!answered() && !providerFinal && !canceled) await askProvider();
    if (!answered()) {
      const why = canceled ? 'canceled' : providerFinal ? undefined : 'ring_window';
      if (why) {
        // Our own hang-up of a ringing call; if the callee picked up in the same instant, the
        // final status says so and the call is settled as answered below.
        await hangup();
        await condition(() => !!providerFinal, endGraceMs);
        await askProvider();
      }
      if (!answered()) {
        if (canceled) return endUnanswered('canceled', holdKey);
        if (!state.callSid) return endUnanswered('failed', holdKey, 'dial_outcome_unknown: no call found at the provider and no status callback received');
        return endUnanswered(providerFinal ? unansweredTerminal(providerFinal.status) : 'no_answer', holdKey, providerFinal ? undefined : 'no final status from the provider');
      }
    }

    // 5. Answered: talk until the provider ends the call, the gateway ends the conversation, AMD
    //    finds a machine (policy hangup), the maximum duration passes, or we are canceled.
    setStatus('in_progress');
    const deadline = answeredAtMs! + input.maxDurationSec * 1000;
    const machineHangup = () => input.voicemailPolicy === 'hangup' && isMachine(state.answeredBy);
    const mediaWantsHangup = () => !!mediaEnded && mediaEnded.reason !== 'transfer';
    let endReason: string | undefined;
    let endedAtMs: number | undefined;
    if (!providerFinal) {
      await condition(() => !!providerFinal || mediaWantsHangup() || machineHangup() || canceled, Math.max(1, deadline - Date.now()));
      // At the maximum: the callee may have hung up long ago with the final callback lost.
      if (!providerFinal && !canceled && !machineHangup() && !mediaWantsHangup()) await askProvider();
      if (!providerFinal) {
        endReason = canceled ? 'canceled' : machineHangup() ? 'machine' : mediaWantsHangup() ? `media_${mediaEnded!.reason}` : 'max_duration';
        endedAtMs = Math.min(Date.now(), deadline);
        await hangup();
        await condition(() => !!providerFinal, endGraceMs);
        await askProvider();
      }
    }
    endedAtMs ??= Date.now();
    // Final usage comes with or just before mediaEnded; give the gateway a moment after the hang-up.
    if (mediaClaim && !mediaEnded) await condition(() => !!mediaEnded, endGraceMs);

    // 6. Settle: Twilio's duration when we have it, else our own measure; never past the maximum
    //    (the hold covers exactly maxDurationSec at the charge rate).
    setStatus('settling');
    const measured = Math.ceil(Math.max(0, endedAtMs - answeredAtMs!) / 1000);
    const telephonySeconds = providerFinal?.durationSec ?? measured;
    const billedSeconds = Math.min(telephonySeconds, input.maxDurationSec);
    const status: CallTerminalStatus =
      isMachine(state.answeredBy) || mediaEnded?.reason === 'voicemail_left' ? 'voicemail' : canceled ? 'canceled' : 'completed';
    const settled = await acts.callSettle({
      callId: input.callId,
      accountId: input.accountId,
      holdKey,
      status,
      callSid: state.callSid,
      answeredBy: state.answeredBy,
      answeredAt: state.answeredAt!,
      endedAt: new Date(endedAtMs).toISOString(),
      billedSeconds,
      telephonySeconds,
      usage: state.usage,
      outcome: state.outcome,
      transcript: state.transcript,
      error: endReason === 'max_duration' ? 'max_duration_reached' : undefined,
    });
    return finish({
      status,
      durationSec: billedSeconds,
      chargedMicro: settled.chargedMicro,
      providerCostMicro: settled.providerCostMicro,
      ...(state.outcome ? { outcome: state.outcome } : {}),
      ...(endReason === 'max_duration' ? { error: 'max_duration_reached' } : {}),
    });
  };

  return CancellationScope.nonCancellable(async () => {
    try {
      return await run();
    } catch (err) {
      // Unexpected (a bug, or the ledger refusing a settlement): fail loudly, but tell the campaign
      // first so its window does not wait for this call forever.
      if (input.parentWorkflowId) {
        const report = { callId: input.callId, status: 'failed' as const, durationSec: 0, chargedMicro: 0, providerCostMicro: 0 };
        await getExternalWorkflowHandle(input.parentWorkflowId)
          .signal(callFinishedSignal, { ...report, error: failureMessage(err), contactId: input.contactId, attempt: input.attempt })
          .catch(() => undefined);
      }
      throw err;
    }
  });
}

function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? cause.type ?? undefined : undefined;
}
function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(err);
}
