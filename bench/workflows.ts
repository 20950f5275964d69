// Workflow bundle for bench/campaign.ts: the product's workflows plus the bare fan-out baseline.
export * from '../workflows';
import { ParentClosePolicy, condition, defineSignal, getExternalWorkflowHandle, setHandler, startChild, workflowInfo } from '@temporalio/workflow';

const doneSignal = defineSignal<[string]>('benchChildDone');

/** Empty child: reports to its parent by workflow id, as a call does, then ends. */
export async function benchEmptyChildWorkflow(parentId: string): Promise<void> {
  await getExternalWorkflowHandle(parentId).signal(doneSignal, workflowInfo().workflowId);
}

/** N children through a sliding window of `window`, the same shape as a campaign. */
export async function benchFanOutWorkflow(n: number, window: number): Promise<number> {
  let inFlight = 0;
  let done = 0;
  setHandler(doneSignal, () => {
    inFlight--;
    done++;
  });
  const me = workflowInfo().workflowId;
  for (let i = 0; i < n; i++) {
    await condition(() => inFlight < window);
    inFlight++;
    await startChild(benchEmptyChildWorkflow, { workflowId: `${me}/child-${i}`, args: [me], parentClosePolicy: ParentClosePolicy.ABANDON });
  }
  await condition(() => done === n);
  return done;
}
