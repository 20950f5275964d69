// Workflow bundle for bench/campaign.ts: the product's workflows plus the bare fan-out baseline.
export * from '../workflows';
import {
  ParentClosePolicy,
  condition,
  defineSignal,
  getExternalWorkflowHandle,
  setHandler,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { callWorkflowId } from '../lib/ids';
import type { CallInput } from '../workflows/call/contract';
import { callMemo, callSearchAttributes } from '../workflows/call/visibility';
import { callFinishedSignal } from '../workflows/campaign/contract';

const doneSignal = defineSignal<[string]>('benchChildDone');

/** Empty child: reports to its parent by workflow id, as a call does, then ends. */
export async function benchEmptyChildWorkflow(parentId: string): Promise<void> {
  await getExternalWorkflowHandle(parentId).signal(doneSignal, workflowInfo().workflowId);
}

/**
 * N children through a sliding window of `window`, started the way the campaign starts its calls: as
 * many as there are free places, all in one activation (their starts awaited together), so the
 * bench's ratio is the campaign's own overhead over this floor, not the cost of serial starts.
 */
export async function benchFanOutWorkflow(n: number, window: number): Promise<number> {
  let inFlight = 0;
  let done = 0;
  let next = 0;
  setHandler(doneSignal, () => {
    inFlight--;
    done++;
  });
  const me = workflowInfo().workflowId;
  while (next < n) {
    await condition(() => inFlight < window);
    const ids = Array.from({ length: Math.min(window - inFlight, n - next) }, () => `${me}/child-${next++}`);
    inFlight += ids.length;
    await Promise.all(
      ids.map((workflowId) =>
        startChild(benchEmptyChildWorkflow, { workflowId, args: [me], parentClosePolicy: ParentClosePolicy.ABANDON }),
      ),
    );
  }
  await condition(() => done === n);
  return done;
}

/**
 * The same call workflows a campaign runs, fanned out bare: a window's worth of starts per
 * activation, no paging, leases, contact writes or status. The campaign against this is its own
 * overhead over the calls themselves.
 */
export async function benchFanOutCallsWorkflow(
  template: Omit<CallInput, 'callId' | 'to' | 'attempt' | 'parentWorkflowId'>,
  phones: string[],
  window: number,
): Promise<number> {
  const reported = new Set<string>();
  let inFlight = 0;
  let next = 0;
  setHandler(callFinishedSignal, (r) => {
    if (reported.has(r.callId)) return;
    reported.add(r.callId);
    inFlight--;
  });
  const me = workflowInfo().workflowId;
  while (next < phones.length) {
    await condition(() => inFlight < window);
    const batch = phones.slice(next, next + window - inFlight);
    next += batch.length;
    inFlight += batch.length;
    await Promise.all(
      batch.map((to) => {
        const input: CallInput = { ...template, callId: uuid4(), to, attempt: 1, parentWorkflowId: me };
        return startChild('callWorkflow', {
          workflowId: callWorkflowId(input.callId),
          args: [input],
          parentClosePolicy: ParentClosePolicy.ABANDON,
          memo: { ...callMemo(input) },
          typedSearchAttributes: callSearchAttributes(input, 'validating'),
        });
      }),
    );
  }
  await condition(() => reported.size === phones.length);
  return reported.size;
}
