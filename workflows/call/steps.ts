/**
 * The steps of callWorkflow (workflow.ts), each over the call's CallLifecycle: the activities
 * they run and how their failures turn into the call's ending. Workflow code: deterministic,
 * no I/O but activities.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { TASK_QUEUES } from '../../lib/ids';
import { SA } from '../../lib/search-attributes';
import type { CallActivities, DialerActivities, FinishResult } from '../../activities/call/types';
import {
  CALL_ROW_REJECTED,
  DATA_REJECTED,
  DIAL_FAILURE,
  INSUFFICIENT_CREDITS,
  NON_RETRYABLE_DIAL_FAILURES,
} from '../../activities/call/types';
import { callFinishedSignal } from '../campaign/contract';
import type { CallResult, CallStatus } from './contract';
import type { CallLifecycle } from './lifecycle';
import { callMemo, callSearchAttributes, publishedStatus } from './visibility';

// Retried until done: each is idempotent by callId, and giving up would strand the call's money.
const acts = proxyActivities<CallActivities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [INSUFFICIENT_CREDITS, CALL_ROW_REJECTED, DATA_REJECTED],
  },
});
// Bounded: Twilio's TimeLimit ends a call anyway and billing is capped; asking is only a backstop for a lost callback.
const twilio = proxyActivities<CallActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});
// Local: its answer (number verdict and hold quote) is recorded in history, so a replay or a retried hold never re-decides it.
const { callPrepare } = proxyLocalActivities<CallActivities>({ startToCloseTimeout: '5 seconds' });

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
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: '20 seconds',
      maximumAttempts: 8,
      nonRetryableErrorTypes: NON_RETRYABLE_DIAL_FAILURES,
    },
  });
}

/** Moves the live status; the Web UI's CallStatus is upserted only at the answer and the end (each upsert is a billed action). */
export function publish(call: CallLifecycle, status: CallStatus) {
  if (call.setStatus(status) && publishedStatus(status)) upsertSearchAttributes([{ key: SA.CallStatus, value: status }]);
}

/** Memo and attributes the start did not already carry (a campaign child carries them all: free at start). */
export function showInWebUi(call: CallLifecycle) {
  const info = workflowInfo();
  const memo = callMemo(call.input);
  if (info.memo?.toLast4 !== memo.toLast4 || info.memo?.attempt !== memo.attempt) upsertMemo({ ...memo });
  const missing = callSearchAttributes(call.input, call.state.status).filter(
    (p) => info.typedSearchAttributes.get(p.key) !== p.value,
  );
  if (missing.length) upsertSearchAttributes(missing);
}

/** 1. The number's verdict and the hold quote. */
export async function prepare(call: CallLifecycle) {
  const i = call.input;
  const p = await callPrepare({ to: i.to, defaultRegion: i.defaultRegion, maxDurationSec: i.maxDurationSec });
  call.quote = p.quote;
  return p.number;
}

/** 2. Record the call, consult the do-not-call list, load the agent, hold credit. False: the call ends here. */
export async function begin(call: CallLifecycle, e164: string | null, invalidReason?: string): Promise<boolean> {
  if (e164) publish(call, 'holding');
  let begun;
  try {
    begun = await acts.callBegin({ input: call.input, toE164: e164, quote: call.quote! });
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    if (failureType(err) === INSUFFICIENT_CREDITS) call.end('insufficient_credits', 'insufficient credits for the call maximum');
    else call.end('failed', `call not begun: ${failureMessage(err)}`);
    return false;
  }
  if (begun.outcome === 'recorded') call.end('invalid_number', invalidReason);
  else if (begun.outcome === 'suppressed') call.end('suppressed', 'number is on the do-not-call list');
  else call.agent = begun.agent;
  return begun.outcome === 'held' && !call.canceled;
}

/**
 * 3. Dial once (dialer queue; idempotent, see activities/call/dialer.ts). When the dial activity
 * gives up, the calls row says whether a call reached Twilio: if one may have, the call goes on
 * to wait for its callbacks like any other; if none did, it ends not_attempted and its contact
 * goes back to the campaign's queue.
 */
export async function dial(call: CallLifecycle, e164: string): Promise<boolean> {
  const i = call.input;
  publish(call, 'dialing');
  try {
    const d = await dialer(i.dialerTaskQueue ?? TASK_QUEUES.dialer).callDial({
      callId: i.callId,
      to: e164,
      ringTimeoutSec: i.ringTimeoutSec,
      maxDurationSec: i.maxDurationSec,
      voicemailPolicy: i.voicemailPolicy,
    });
    // `unknown`: an earlier attempt may have created a call; its own callbacks (they carry the callId) tell.
    if (d.outcome === 'dialed') call.dialed(d.callSid);
    return true;
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    const record = await acts.callDialRecord({ callId: i.callId, to: e164 });
    if (record.reached === 'yes') call.dialed(record.callSid);
    if (record.reached !== 'no') return true;
    const type = failureType(err) ?? '';
    const why = `dial failed: ${failureMessage(err)}`;
    if (type === DIAL_FAILURE.invalidNumber) call.end('invalid_number', why);
    else if ((NON_RETRYABLE_DIAL_FAILURES as string[]).includes(type)) call.end('failed', why);
    else call.end('not_attempted', `the dial never reached the provider (${why})`);
    return false;
  }
}

/** 4. Wait for an answer, a final status, or the ring window to pass. True when answered. */
export async function ring(call: CallLifecycle): Promise<boolean> {
  await condition(() => call.answered() || call.isOver(), call.input.ringTimeoutSec * 1000 + call.ringGraceMs);
  // Nothing heard by the end of the ring window: the call may be up, or over, with its callbacks lost.
  if (!call.answered() && !call.isOver()) await askProvider(call);
  if (!call.answered() && !call.providerFinal) {
    // Canceled, or the ring window passed: our own hang-up of a ringing call. If the callee picked
    // up in the same instant, the final status says so and the call is settled as answered.
    await hangUp(call);
    await condition(() => !!call.providerFinal, call.endGraceMs);
    await askProvider(call);
  }
  return call.answered();
}

/**
 * 5. Answered: talk until the provider ends the call, the gateway ends the conversation, AMD finds
 * a machine (policy hangup), the maximum duration passes, or we are canceled; then wait briefly
 * for Twilio's final status (its duration) and the gateway's last usage.
 */
export async function talk(call: CallLifecycle) {
  publish(call, 'in_progress');
  await condition(() => call.talkIsOver(), Math.max(1, call.deadlineMs() - Date.now()));
  // At the maximum: the callee may have hung up long ago with the final callback lost.
  if (!call.talkIsOver()) await askProvider(call);
  if (!call.providerFinal) {
    call.hangingUp(call.hangupReason() ?? 'max_duration', Date.now());
    await hangUp(call);
    await condition(() => !!call.providerFinal, call.endGraceMs);
    await askProvider(call);
  }
  // Final usage comes with or just before mediaEnded; give the gateway a moment after the hang-up.
  if (call.awaitingMediaEnd()) await condition(() => !call.awaitingMediaEnd(), call.endGraceMs);
}

/**
 * 6. The one guarded money step, run on every way out (finished, canceled, failed): no live call
 * is left behind, then exactly one of settle (answered) or void (not answered) resolves the hold,
 * the call's record is written, and the campaign is told. A failure here (the ledger refusing) is
 * reported and rethrown; the hold sweeper resolves what it left.
 */
export async function finish(call: CallLifecycle): Promise<CallResult> {
  await hangUp(call);
  const ending = call.ending(Date.now());
  if (ending.answered) publish(call, 'settling');
  let money: FinishResult;
  try {
    money = await acts.callFinish({
      callId: call.input.callId,
      accountId: call.input.accountId,
      maxDurationSec: call.input.maxDurationSec,
      ...(call.quote ? { quote: call.quote } : {}),
      callSid: call.state.callSid,
      answeredBy: call.state.answeredBy,
      ending,
    });
  } catch (err) {
    await report(call, {
      callId: call.input.callId,
      status: 'failed',
      durationSec: 0,
      chargedMicro: 0,
      providerCostMicro: 0,
      endReason: 'abandoned',
      error: failureMessage(err),
    });
    throw err;
  }
  const result = call.result(ending, money);
  publish(call, result.status);
  await report(call, result);
  // An unexpected failure earlier: the money is safe now; fail the run so an operator sees it.
  if (call.failure) throw ApplicationFailure.nonRetryable(call.failure, 'CallWorkflowFailed');
  return result;
}

/** Tells the campaign (by workflow id: survives its continue-as-new). A campaign that is gone does not fail the call. */
async function report(call: CallLifecycle, result: CallResult) {
  const { parentWorkflowId, contactId, attempt } = call.input;
  if (!parentWorkflowId) return;
  try {
    await getExternalWorkflowHandle(parentWorkflowId).signal(callFinishedSignal, { ...result, contactId, attempt });
  } catch (err) {
    log.warn('could not report to the parent campaign', { parent: parentWorkflowId, error: String(err) });
  }
}

/** Hangs up a call that may still be up at the provider; a failed hang-up is left to Twilio's TimeLimit. */
async function hangUp(call: CallLifecycle) {
  const callSid = call.state.callSid;
  if (!callSid || call.providerFinal || call.hangupSent) return;
  call.hangupSent = true;
  try {
    await twilio.callHangup({ callId: call.input.callId, callSid });
  } catch (err) {
    log.error('hang-up failed; the TimeLimit backstop ends the call', { error: failureMessage(err) });
  }
}

/**
 * Status callbacks can be lost (our API down when Twilio posts): where the workflow would
 * otherwise conclude without a final status, it asks Twilio, and applies what it finds as if the
 * callback had come, so the call is settled on Twilio's own duration.
 */
async function askProvider(call: CallLifecycle) {
  const callSid = call.state.callSid;
  if (call.providerFinal || !callSid) return;
  try {
    const s = await twilio.callProviderStatus({ callId: call.input.callId, callSid });
    if (s)
      call.onTelephonyStatus(
        { callSid, status: s.status, durationSec: s.durationSec, answeredBy: s.answeredBy, at: new Date().toISOString() },
        Date.now(),
      );
  } catch (err) {
    log.warn('could not ask the provider for the call status; going by our own timers', { error: failureMessage(err) });
  }
}

export function failureType(err: unknown): string | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}
export function failureMessage(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  return cause instanceof Error ? cause.message : String(err);
}
