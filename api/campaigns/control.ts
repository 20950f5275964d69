import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { Sql } from '../../lib/db';
import type { Config } from '../../lib/config';
import { HttpError } from '../errors';
import { campaignWorkflowId } from '../../lib/ids';
import {
  cancelUpdate,
  pauseUpdate,
  resumeUpdate,
  type CampaignControlResult,
  type CampaignInput,
} from '../../workflows/campaign/contract';
import type { CampaignRow } from './store';
import { saveAgent } from '../../lib/agents/store';
import { assertReadyToStart } from '../templates/checks';

interface Deps {
  sql: Sql;
  temporal: Client;
  config: Pick<Config, 'ORCHESTRATION_TASK_QUEUE' | 'DIALER_TASK_QUEUE'>;
}

/**
 * Starts a draft campaign's workflow (POST /v1/campaigns/:id/start and the console's Start button).
 * A campaign already started answers its status; an already-running workflow is joined. Refused
 * before anything starts: no contacts, a first message without the disclosure, contacts missing a
 * template variable (api/templates/checks.ts).
 */
export async function startCampaign(
  { sql, temporal, config }: Deps,
  c: CampaignRow,
): Promise<{ started: boolean; status: string; pauseReason: string | null }> {
  if (c.status !== 'draft') return { started: false, status: c.status, pauseReason: c.pause_reason };
  if (c.contact_count === 0) throw new HttpError(400, 'no_contacts', 'the campaign has no contacts');
  await assertReadyToStart(sql, c);
  const { defaultRegion, ...settings } = c.settings;
  const input: CampaignInput = {
    campaignId: c.id,
    accountId: c.account_id,
    agentId: await saveAgent(sql, c.account_id, c.agent),
    settings,
    defaultRegion,
    callTaskQueue: config.ORCHESTRATION_TASK_QUEUE,
    dialerTaskQueue: config.DIALER_TASK_QUEUE,
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

const FINISHED = new Set(['completed', 'canceled', 'failed']);

/**
 * Pause, resume or cancel through the campaign workflow's updates; the workflow decides and answers
 * its state. Decided first from the campaign's row, whatever the workflow would answer: a finished
 * campaign (or, for pause and resume, one being canceled) cannot change any more (409 with its status).
 */
export async function controlCampaign(
  { sql, temporal }: Pick<Deps, 'sql' | 'temporal'>,
  c: CampaignRow,
  action: ControlAction,
  pause: { reason?: string } = {},
): Promise<CampaignControlResult> {
  if (c.status === 'draft')
    throw new HttpError(409, 'not_started', 'the campaign has not been started', undefined, { status: c.status });
  const finished = (s: string) => FINISHED.has(s) || (action !== 'cancel' && s === 'canceling');
  const refuse = (status: string) =>
    new HttpError(409, 'campaign_finished', `the campaign is ${status}; it can no longer be ${action}d`, undefined, { status });
  if (finished(c.status)) throw refuse(c.status);
  const handle = temporal.workflow.getHandle(campaignWorkflowId(c.id));
  try {
    const result =
      action === 'pause'
        ? await handle.executeUpdate(pauseUpdate, { args: [pause] })
        : action === 'resume'
          ? await handle.executeUpdate(resumeUpdate)
          : await handle.executeUpdate(cancelUpdate);
    if (finished(result.status)) throw refuse(result.status);
    return result;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || err instanceof WorkflowUpdateFailedError) {
      const [now] = await sql<{ status: string }[]>`select status from campaigns where id = ${c.id}`;
      throw refuse(now?.status ?? c.status);
    }
    throw err;
  }
}
