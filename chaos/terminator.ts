import type { Client } from '@temporalio/client';
import { callIdFromWorkflowId } from '../lib/ids';
import type { Rng } from './random';

/**
 * Operator terminations: at random moments, a running call workflow of the run's campaigns is
 * terminated (as `temporal workflow terminate` or the Web UI's Terminate does), whatever it is doing
 * (holding, dialing, ringing, talking). No workflow code runs after a termination, so whatever it
 * held must be resolved by something else (the campaign's reconcile, the hold sweeper).
 */
export interface Termination {
  callId: string;
  at: number;
  /** The call's status in Postgres when it was terminated. */
  status: string;
}

export interface Terminator {
  terminations: Termination[];
  stop(): Promise<Termination[]>;
}

export function startTerminator(
  deps: { temporal: Client; statusOf: (callId: string) => Promise<string>; campaignIds: string[] },
  o: { rng: Rng; count: number; intervalMs: [number, number]; log?: (l: string) => void },
): Terminator {
  const terminations: Termination[] = [];
  let stopping = false;
  let wake = () => {};
  const loop = (async () => {
    while (!stopping && terminations.length < o.count) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, o.rng.int(...o.intervalMs));
        wake = () => (clearTimeout(t), r());
      });
      if (stopping) break;
      const running: string[] = [];
      const query = `WorkflowType = 'callWorkflow' AND ExecutionStatus = 'Running' AND CampaignId IN (${deps.campaignIds.map((id) => `'${id}'`).join(', ')})`;
      try {
        for await (const wf of deps.temporal.workflow.list({ query })) running.push(wf.workflowId);
      } catch (err) {
        o.log?.(`could not list call workflows: ${(err as Error).message}`);
        continue;
      }
      if (!running.length) continue;
      const workflowId = o.rng.pick(running);
      const callId = callIdFromWorkflowId(workflowId)!;
      const status = await deps.statusOf(callId).catch(() => 'unknown');
      try {
        await deps.temporal.workflow.getHandle(workflowId).terminate('chaos: operator termination');
        terminations.push({ callId, at: Date.now(), status });
        o.log?.(`terminated call workflow ${workflowId} (call ${status})`);
      } catch (err) {
        o.log?.(`terminate ${workflowId}: ${(err as Error).message}`);
      }
    }
  })();
  return {
    terminations,
    async stop() {
      stopping = true;
      wake();
      await loop;
      return terminations;
    },
  };
}
