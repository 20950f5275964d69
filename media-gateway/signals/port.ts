import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, type SignalDefinition } from '@temporalio/common';
import { callWorkflowId } from '../../lib/ids';
import {
  attachMediaUpdate,
  callAmdQuery,
  MEDIA_REFUSED,
  type CallAgentView,
  type CallAmdView,
  type MediaAttachRequest,
} from '../../workflows/call/contract';

/** The gateway's only view of Temporal: claim a call's media (and read its agent), signal its workflow, poll AMD. Tests fake it. */
export interface CallWorkflowPort {
  signal<T>(callId: string, def: SignalDefinition<[T]>, arg: T): Promise<void>;
  /**
   * Claims the call for this stream and returns its agent. Throws CallGoneError (no running
   * workflow), MediaRefusedError (the workflow said no) or, when Temporal could not be reached
   * in time, any other error: then whether the claim was taken is unknown.
   */
  attachMedia(callId: string, req: MediaAttachRequest): Promise<CallAgentView>;
  /** Polled on leave_message calls only (conversation/amd.ts), after the attach. */
  amd(callId: string): Promise<CallAmdView>;
}

/** The call's workflow is gone (never existed, or finished): nothing more will be accepted. */
export class CallGoneError extends Error {
  override name = 'CallGoneError';
}

const noWorkflow = (callId: string) => new CallGoneError(`no running workflow for call ${callId}`);

/** Close reasons of a refused attach, as the stream's close frame carries them. */
export type MediaRefusal = 'call already streaming' | 'call over' | 'stream for another call';

/** The call's workflow refused this stream: another stream holds the call, or the call is over. */
export class MediaRefusedError extends Error {
  override name = 'MediaRefusedError';
  constructor(
    readonly refusal: MediaRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface TemporalCallPortOptions {
  /** How long one attach may take in all, retries included (default 10 s); the caller hears silence meanwhile. */
  attachTimeoutMs?: number;
  /** Each attempt's own limit (default 5 s): a lost response is retried with the same update id. */
  attachAttemptMs?: number;
  /** The callAmd query's limit (default 5 s). */
  queryTimeoutMs?: number;
}

export function temporalCallPort(client: Client, opts: TemporalCallPortOptions = {}): CallWorkflowPort {
  return {
    async signal(callId, def, arg) {
      try {
        await client.workflow.getHandle(callWorkflowId(callId)).signal(def, arg);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw noWorkflow(callId);
        throw err;
      }
    },
    async attachMedia(callId, req) {
      const handle = client.workflow.getHandle(callWorkflowId(callId));
      // One update id per stream: the server answers a retry of an accepted attach from its record
      // (no second event, no second action) instead of running it again.
      const updateId = `media/${req.attachId}`;
      const deadline = Date.now() + (opts.attachTimeoutMs ?? 10_000);
      for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
        const ac = new AbortController();
        const t = setTimeout(() => ac.abort(), Math.max(1, Math.min(opts.attachAttemptMs ?? 5_000, deadline - Date.now())));
        try {
          return await client.withAbortSignal(ac.signal, () =>
            handle.executeUpdate(attachMediaUpdate, { args: [req], updateId }),
          );
        } catch (err) {
          const final = attachFailure(err, callId);
          if (final) throw final;
          if (Date.now() + delay >= deadline) throw err;
        } finally {
          clearTimeout(t);
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    },
    async amd(callId) {
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), opts.queryTimeoutMs ?? 5_000);
      try {
        return await client.withAbortSignal(ac.signal, () =>
          client.workflow.getHandle(callWorkflowId(callId)).query(callAmdQuery),
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw noWorkflow(callId);
        throw err;
      } finally {
        clearTimeout(t);
      }
    },
  };
}

/** The gateway's error for an attachMedia rejection of `type` (MEDIA_REFUSED), if it is one. */
export function mediaRefusal(type: string | null | undefined, message: string): MediaRefusedError | undefined {
  if (type === MEDIA_REFUSED.alreadyStreaming) return new MediaRefusedError('call already streaming', message);
  if (type === MEDIA_REFUSED.callOver) return new MediaRefusedError('call over', message);
  if (type === MEDIA_REFUSED.otherCall) return new MediaRefusedError('stream for another call', message);
  return undefined;
}

/** The error to stop on, or undefined when the attach may be tried again (Temporal unreachable or slow). */
function attachFailure(err: unknown, callId: string): Error | undefined {
  if (err instanceof WorkflowNotFoundError) return noWorkflow(callId);
  if (!(err instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const refused = mediaRefusal(cause.type, cause.message);
    if (refused) return refused;
  }
  return new Error(`attachMedia failed: ${cause?.message ?? err.message}`);
}
