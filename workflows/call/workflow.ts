import { ApplicationFailure, CancellationScope, setHandler } from '@temporalio/workflow';
import {
  attachMediaUpdate,
  callAmdQuery,
  callStateQuery,
  mediaEndedSignal,
  outcomeSignal,
  telephonyStatusSignal,
  transcriptSignal,
  usageSignal,
  type CallInput,
  type CallResult,
} from './contract';
import { CallLifecycle } from './lifecycle';
import type { AttachVerdict } from './media-claim';
import { begin, dial, failureMessage, finish, prepare, ring, showInWebUi, talk } from './steps';

/**
 * One call attempt, from credit hold to settled cost (design: Call lifecycle):
 *
 *   validate and quote → record, do-not-call, agent, hold → dial → ring → talk → settle or release
 *
 * The state and its rules are CallLifecycle's (lifecycle.ts, no Temporal in it); each handler
 * below hands its message to it in one line, and the steps (steps.ts) wait on its predicates.
 * The run executes in a non-cancellable scope and sees cancellation as a flag, so a cancel takes
 * effect only at the waits; whatever way the steps end — finished, canceled, or an unexpected
 * failure — the money step `finish` runs once, last, and resolves the hold.
 */
export async function callWorkflow(input: CallInput): Promise<CallResult> {
  const call = new CallLifecycle(input);

  setHandler(callStateQuery, () => call.state);
  setHandler(callAmdQuery, () => call.amdView());
  setHandler(telephonyStatusSignal, (ev) => void call.onTelephonyStatus(ev, Date.now()));
  setHandler(transcriptSignal, (turn) => call.onTranscript(turn));
  setHandler(usageSignal, (usage) => call.onUsage(usage));
  setHandler(outcomeSignal, (outcome) => call.onOutcome(outcome));
  setHandler(mediaEndedSignal, (ev) => void call.onMediaEnded(ev));
  // The validator refuses without a history event; the handler judges again, since another attach
  // accepted in the same workflow task may have taken the call first.
  setHandler(attachMediaUpdate, (req) => accepted(call.attach(req, Date.now())).view!, {
    validator: (req) => void accepted(call.judgeAttach(req)),
  });
  CancellationScope.current().cancelRequested.catch(() => call.cancel());
  showInWebUi(call);

  return CancellationScope.nonCancellable(async () => {
    try {
      const number = await prepare(call);
      if (
        (await begin(call, number.ok ? number.e164 : null, number.ok ? undefined : number.reason)) &&
        number.ok &&
        (await dial(call, number.e164)) &&
        (await ring(call))
      ) {
        await talk(call);
      }
    } catch (err) {
      // A bug or an unexpected refusal: the call still settles or releases its hold below.
      call.fail(failureMessage(err));
    }
    return finish(call);
  });
}

function accepted<V extends AttachVerdict>(v: V): V {
  if (!v.ok) throw ApplicationFailure.create({ type: v.type, message: v.message, nonRetryable: true });
  return v;
}
