// Workflow bundle for bench/campaign.ts: the product's workflows plus the bare fan-out baseline.
export * from '../workflows';
import { ParentClosePolicy, condition, defineSignal, getExternalWorkflowHandle, setHandler, startChild, workflowInfo } from '@temporalio/workflow';

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
    await Promise.all(ids.map((workflowId) => startChild(benchEmptyChildWorkflow, { workflowId, args: [me], parentClosePolicy: ParentClosePolicy.ABANDON })));
  }
  await condition(() => done === n);
  return done;
}
