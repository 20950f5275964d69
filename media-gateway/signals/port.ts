import { QueryNotRegisteredError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { QueryDefinition, SignalDefinition } from '@temporalio/common';
import { callWorkflowId } from '../../lib/ids';
import { callAgentQuery, callAmdQuery, type CallAgentView, type CallAmdView } from '../../workflows/call/contract';

/** The gateway's only view of Temporal: signal a call's workflow, read its agent and AMD verdict. Tests fake it. */
export interface CallWorkflowPort {
  signal<T>(callId: string, def: SignalDefinition<[T]>, arg: T): Promise<void>;
  agent(callId: string): Promise<CallAgentView>;
  /** Polled on leave_message calls only (conversation/amd-watch.ts). */
  amd(callId: string): Promise<CallAmdView>;
}

/** The call's workflow is gone (never existed, or finished): nothing more will be accepted. */
export class CallGoneError extends Error {
  override name = 'CallGoneError';
}

export function temporalCallPort(client: Client, opts: { queryTimeoutMs?: number } = {}): CallWorkflowPort {
  const gone = (err: unknown, callId: string, query: string) => {
    if (err instanceof WorkflowNotFoundError) return new CallGoneError(`no running workflow for call ${callId}`);
    // Only the agent query proves a workflow too old to serve this gateway; callAmd is asked only of
    // workflows whose view named a voicemail policy (new code), so a miss there is a mixed deploy: retried.
    if (err instanceof QueryNotRegisteredError && query === callAgentQuery.name) return new CallGoneError(`workflow of call ${callId} does not answer ${query} (started by an older worker?)`);
    return err;
  };
  const query = async <R>(callId: string, def: QueryDefinition<R, []>): Promise<R> => {
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), opts.queryTimeoutMs ?? 5_000);
    try {
      return await client.withAbortSignal(ac.signal, () => client.workflow.getHandle(callWorkflowId(callId)).query(def));
    } catch (err) {
      throw gone(err, callId, def.name);
    } finally {
      clearTimeout(t);
    }
  };
  return {
    async signal(callId, def, arg) {
      try {
        await client.workflow.getHandle(callWorkflowId(callId)).signal(def, arg);
      } catch (err) {
        throw gone(err, callId, '');
      }
    },
    agent: (callId) => query(callId, callAgentQuery),
    amd: (callId) => query(callId, callAmdQuery),
  };
}
