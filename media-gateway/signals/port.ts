import { QueryNotRegisteredError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { callWorkflowId } from '../../lib/ids';
import { callAgentQuery, type CallAgentView } from '../../workflows/call/contract';

/** The gateway's only view of Temporal: signal a call's workflow, read its agent. Tests fake it. */
export interface CallWorkflowPort {
  signal<T>(callId: string, def: SignalDefinition<[T]>, arg: T): Promise<void>;
  agent(callId: string): Promise<CallAgentView>;
}

/** The call's workflow is gone (never existed, or finished): nothing more will be accepted. */
export class CallGoneError extends Error {
  override name = 'CallGoneError';
}

export function temporalCallPort(client: Client, opts: { queryTimeoutMs?: number } = {}): CallWorkflowPort {
  const gone = (err: unknown, callId: string) => {
    if (err instanceof WorkflowNotFoundError) return new CallGoneError(`no running workflow for call ${callId}`);
    if (err instanceof QueryNotRegisteredError) return new CallGoneError(`workflow of call ${callId} does not answer callAgent (started by an older worker?)`);
    return err;
  };
  return {
    async signal(callId, def, arg) {
      try {
        await client.workflow.getHandle(callWorkflowId(callId)).signal(def, arg);
      } catch (err) {
        throw gone(err, callId);
      }
    },
    async agent(callId) {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), opts.queryTimeoutMs ?? 5_000);
      try {
        return await client.withAbortSignal(ac.signal, () => client.workflow.getHandle(callWorkflowId(callId)).query(callAgentQuery));
      } catch (err) {
        throw gone(err, callId);
      } finally {
        clearTimeout(t);
      }
    },
  };
}
