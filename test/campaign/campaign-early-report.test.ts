import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import { bundleWorkflowCode } from '@temporalio/worker';
import { campaignWorkflowId } from '../../lib/ids';
import { createCampaignActivities } from '../../activities/campaign';
import { WORKFLOWS_PATH } from '../../workers/workflow-bundle';
import { withWorker, testLogger } from '../helpers/env';
import { startCallHarness, testNumber, type CallHarness } from '../call/harness';
import { campaignInput, createCampaignRows, testSettings } from './harness';
import type { CampaignProgress } from '../../workflows/campaign/contract';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

let h: CallHarness;
let code: string;
beforeAll(async () => {
  h = await startCallHarness({ credit: 50_000_000 });
  const interceptor = fileURLToPath(new URL('./fixtures/late-parent.interceptor.ts', import.meta.url));
  ({ code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    workflowInterceptorModules: [interceptor],
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
  }));
}, 120_000);
afterAll(() => h.close());

describe('campaignWorkflow with a worker that falls behind', () => {
  it('counts a call whose finish report arrives together with its start, and completes', async () => {
    // Found by `npm run demo` on a loaded machine: busy calls end within a second or two, and a
    // campaign worker that was late saw the child's start and its report in one activation, dropped
    // the report as a duplicate, and waited for that call for ever (its lease never released).
    const phones = [testNumber(), testNumber()];
    h.sim.scenario.numbers ??= {};
    for (const p of phones) h.sim.scenario.numbers[p] = { kind: 'busy', afterMs: 20 };
    const settings = testSettings({ maxConcurrentCalls: 2, retry: { maxAttempts: 1, backoffSec: 1, retryOn: ['busy'] } });
    const { campaignId, contactIds } = await createCampaignRows(h.ctx.sql, h.accountId, phones, settings);
    const activities = {
      ...h.activities,
      ...createCampaignActivities({ sql: h.ctx.sql, log: testLogger(), temporal: h.ctx.client }),
    };

    const result = (await withWorker({ activities, workflowBundle: { code } }, async (tq) =>
      h.ctx.client.workflow.execute('campaignWorkflow', {
        taskQueue: tq,
        workflowId: campaignWorkflowId(campaignId),
        args: [campaignInput(campaignId, h.accountId, settings, tq)],
        workflowExecutionTimeout: '40s',
      }),
    )) as CampaignProgress;

    expect(result.status).toBe('completed');
    expect(result.counters).toMatchObject({ attemptsStarted: 2, attemptsFinished: 2, contactsDone: 2, byStatus: { busy: 2 } });
    // The worker really was made late: the parent's history records a failed workflow task.
    const history = await h.ctx.client.workflow.getHandle(campaignWorkflowId(campaignId)).fetchHistory();
    expect((history.events ?? []).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)).toBe(true);
    // RECORD_CAMPAIGN_HISTORIES=1 refreshes the fixture test/campaign/replay.test.ts replays.
    if (process.env.RECORD_CAMPAIGN_HISTORIES) {
      writeFileSync(
        new URL('./histories/report-with-start.binpb', import.meta.url),
        temporal.api.history.v1.History.encode(history).finish(),
      );
    }
    const contacts = await h.ctx.sql<
      { id: string; state: string; final_status: string }[]
    >`select id, state, final_status from contacts where campaign_id = ${campaignId}`;
    expect(new Set(contacts.map((c) => c.id))).toEqual(new Set(contactIds));
    expect(contacts.every((c) => c.state === 'done' && c.final_status === 'busy')).toBe(true);
    expect(await h.ctx.sql`select 1 from call_leases where campaign_id = ${campaignId}`).toHaveLength(0);
  }, 90_000);
});
