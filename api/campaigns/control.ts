import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Sql } from '../../lib/db';
import type { Config } from '../../lib/config';
import { HttpError } from '../errors';
import { campaignWorkflowId } from '../../lib/ids';
import { cancelUpdate, pauseUpdate, resumeUpdate, type CampaignControlResult, type CampaignInput } from '../../workflows/campaign/contract';
import type { CampaignRow } from './store';

interface Deps {
  sql: Sql;
  temporal: Client;
  config: Pick<Config, 'ORCHESTRATION_TASK_QUEUE' | 'DIALER_TASK_QUEUE'>;
}

/**
 * Starts a draft campaign's workflow (POST /v1/campaigns/:id/start and the console's Start button).
 * A campaign already started answers its status; an already-running workflow is joined.
 */
export async function startCampaign({ sql, temporal, config }: Deps, c: CampaignRow): Promise<{ started: boolean; status: string; pauseReason: string | null }> {
  if (c.status !== 'draft') return { started: false, status: c.status, pauseReason: c.pause_reason };
  if (c.contact_count === 0) throw new HttpError(400, 'no_contacts', 'the campaign has no contacts');
  const { defaultRegion, ...settings } = c.settings;
  const input: CampaignInput = {
    campaignId: c.id, accountId: c.account_id, agent: c.agent, settings, defaultRegion,
    callTaskQueue: config.ORCHESTRATION_TASK_QUEUE, dialerTaskQueue: config.DIALER_TASK_QUEUE,
  };
  try {
    await temporal.workflow.start('campaignWorkflow', {
      workflowId: campaignWorkflowId(c.id),
      taskQueue: config.ORCHESTRATION_TASK_QUEUE,
      args: [input],
      searchAttributes: { AccountId: [c.account_id], CampaignId: [c.id] },
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  await sql`update campaigns set status = 'running', started_at = coalesce(started_at, now()) where id = ${c.id} and status = 'draft'`;
  return { started: true, status: 'running', pauseReason: null };
}

export type ControlAction = 'pause' | 'resume' | 'cancel';

/** Pause, resume or cancel through the campaign workflow's updates; the workflow decides and answers its state. */
export async function controlCampaign({ temporal }: Pick<Deps, 'temporal'>, c: CampaignRow, action: ControlAction, pause: { reason?: string } = {}): Promise<CampaignControlResult> {
  if (c.status === 'draft') throw new HttpError(409, 'not_started', 'the campaign has not been started');
  const handle = temporal.workflow.getHandle(campaignWorkflowId(c.id));
  try {
    return action === 'pause' ? await handle.executeUpdate(pauseUpdate, { args: [pause] })
      : action === 'resume' ? await handle.executeUpdate(resumeUpdate)
      : await handle.executeUpdate(cancelUpdate);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) {
      throw new HttpError(409, 'campaign_finished', `the campaign is ${c.status}; it can no longer be ${action}d`);
    }
    throw err;
  }
}
