/**
 * npm run bench:campaign — N zero-length calls (default 1,000) through the full workflow path
 * (campaign -> call workflows -> dialer -> Twilio simulator -> webhooks -> ledger), and, on the same
 * server, a baseline of N empty child workflows fanned out by one parent with the same window, started
 * as the campaign starts its calls (a window's worth per activation; bench/workflows.ts).
 * Temporal actions per call are counted from the histories (a sample of call histories plus every
 * campaign run) by Temporal Cloud's rules, see countActions; action_events_per_call counts every
 * action-type event as recorded, an upper bound. Env: BENCH_CALLS, BENCH_WINDOW (40), DATABASE_URL (server).
 * Then the same N calls fanned out bare (bench/workflows.ts benchFanOutCallsWorkflow): campaign_over_bare_calls
 * is the campaign's own cost on top of its calls.
 * Last line: {"bench":"campaign","calls":…,"calls_per_s":…,"baseline_per_s":…,"ratio":…,"bare_calls_per_s":…,"campaign_over_bare_calls":…,"actions_per_call":…,"action_events_per_call":…}
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import * as protoModule from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createSql, withDatabase } from '../lib/db';
import { dropDatabase, ensureDatabase, migrate } from '../lib/migrate';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { temporalCliPath } from '../lib/temporal-bin';
import { SA } from '../lib/search-attributes';
import { campaignWorkflowId } from '../lib/ids';
import { createLedger } from '../lib/ledger';
import { saveAgent } from '../lib/agents/store';
import { createApp } from '../api/app';
import { callActivitiesFromConfig, dialerActivitiesFromConfig } from '../activities/call';
import { createCampaignActivities } from '../activities/campaign';
import { startTwilioSim } from '../sim/twilio/server';
import type { CampaignInput } from '../workflows/campaign/contract';

const N = Number(process.env.BENCH_CALLS ?? 1_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 40);
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const db = withDatabase(server, `aicall_bench_campaign_${Date.now()}`);

// Billable Temporal actions, approximately as a hosted Temporal counts them (docs.temporal.io/cloud/actions).
// Signals are counted at both ends (sender's SignalExternal… and receiver's …Signaled) to stay on the safe side.
const ACTION_EVENTS = new Set([
  'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
  'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  'EVENT_TYPE_TIMER_STARTED',
  'EVENT_TYPE_MARKER_RECORDED',
  'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED',
  'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
  'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  'EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED',
  'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
  'EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED',
]);
// @temporalio/proto is CommonJS: under tsx its namespace sits on `default`.
const EventType = ((protoModule as any).temporal ?? (protoModule as any).default.temporal).api.enums.v1.EventType as Record<
  number,
  string
>;
const eventName = (t: unknown) => (typeof t === 'number' ? EventType[t]! : String(t));

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<typeof client.workflow.getHandle>['fetchHistory']>>['events']
>[number];
/**
 * Billable actions of one history, by event type. Two rules of Temporal Cloud's: all markers recorded
 * by one workflow task (local activities, patch markers) are one action, and upserting only
 * TemporalChangeVersion (what patched() does) is free. `events` counts every action event as is.
 */
function countActions(events: HistoryEvent[], byType: Map<string, number>): { billed: number; events: number } {
  let billed = 0;
  let raw = 0;
  const markerTasks = new Set<string>();
  for (const e of events) {
    const name = eventName(e.eventType);
    if (!ACTION_EVENTS.has(name)) continue;
    raw++;
    if (name === 'EVENT_TYPE_MARKER_RECORDED') {
      const task = String(e.markerRecordedEventAttributes?.workflowTaskCompletedEventId ?? e.eventId);
      if (markerTasks.has(task)) continue;
      markerTasks.add(task);
    }
    if (name === 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') {
      const keys = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
      if (keys.length && keys.every((k) => k === 'TemporalChangeVersion')) continue;
    }
    billed++;
    byType.set(name, (byType.get(name) ?? 0) + 1);
  }
  return { billed, events: raw };
}

Runtime.install({ logger: new DefaultLogger('ERROR') });
await ensureDatabase(db);
await migrate(db);
const sql = createSql(db, { max: 20 });
const env = await TestWorkflowEnvironment.createLocal({
  server: {
    executable: { type: 'existing-path', path: temporalCliPath() },
    searchAttributes: [SA.AccountId, SA.CampaignId, SA.CallStatus],
    extraArgs: ['--log-level', 'error'],
  },
});
const client = env.client;
const log = createLogger('bench', 'silent');
const sim = await startTwilioSim({ scenario: { default: { kind: 'answer', afterMs: 0, hangupAfterMs: 0 } } });
const apiServer = http.createServer();
await new Promise<void>((r) => apiServer.listen(0, '127.0.0.1', r));
const apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
const taskQueue = `bench-${randomUUID()}`;
const config = {
  ...loadConfig({ DATABASE_URL: db, LOG_LEVEL: 'silent' } as NodeJS.ProcessEnv),
  APP_ORIGIN: apiUrl,
  MEDIA_PUBLIC_URL: 'ws://127.0.0.1:9',
  MEDIA_TOKEN_SECRET: 'bench',
  TWILIO_API_BASE: sim.url,
};
apiServer.on('request', createApp({ sql, temporal: client, config, log }));

try {
  const { code } = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { code },
    maxConcurrentActivityTaskExecutions: 200,
    activities: {
      ...callActivitiesFromConfig({ sql, config, log }),
      ...dialerActivitiesFromConfig({ sql, config, log }),
      ...createCampaignActivities({ sql, log, temporal: client }),
    },
  });
  await worker.runUntil(async () => {
    // the campaign
    const accountId = randomUUID();
    await sql`insert into accounts (id, name, max_concurrent_calls) values (${accountId}, 'bench', ${WINDOW})`;
    await createLedger(sql).credit({ accountId, amount: 1_000_000_000_000, key: `seed/${accountId}`, reason: 'bench' });
    const campaignId = randomUUID();
    const settings = {
      maxConcurrentCalls: WINDOW,
      retry: { maxAttempts: 1, backoffSec: 1, retryOn: [] },
      maxDurationSec: 60,
      ringTimeoutSec: 5,
      voicemailPolicy: 'hangup' as const,
    };
    await sql`insert into campaigns (id, account_id, name, agent, settings) values (${campaignId}, ${accountId}, 'bench', ${sql.json({})}, ${sql.json(settings as never)})`;
    const rows = Array.from({ length: N }, (_, i) => ({
      campaign_id: campaignId,
      account_id: accountId,
      seq: i + 1,
      phone_e164: `+1415${String(5_000_000 + i).padStart(7, '0')}`,
    }));
    for (let i = 0; i < rows.length; i += 1_000) await sql`insert into contacts ${sql(rows.slice(i, i + 1_000))}`;
    const input: CampaignInput = {
      campaignId,
      accountId,
      settings,
      callTaskQueue: taskQueue,
      dialerTaskQueue: taskQueue,
      callTimeouts: { ringGraceSec: 5, endGraceSec: 1 },
      agentId: await saveAgent(sql, accountId, {
        systemPrompt: 's',
        firstMessage: 'hi',
        language: 'en-US',
        voiceId: 'v',
        llmModel: 'm',
      }),
    };
    let t = performance.now();
    const handle = await client.workflow.start('campaignWorkflow', {
      taskQueue,
      workflowId: campaignWorkflowId(campaignId),
      args: [input],
    });
    const result = (await handle.result()) as { counters: { attemptsFinished: number; byStatus: Record<string, number> } };
    const campaignSec = (performance.now() - t) / 1000;
    console.log(
      `campaign: ${N} calls in ${campaignSec.toFixed(1)} s = ${(N / campaignSec).toFixed(1)} calls/s; outcomes ${JSON.stringify(result.counters.byStatus)}`,
    );

    // actions: every campaign run, and a sample of call workflows
    let campaignActions = 0;
    let campaignEvents = 0;
    const campaignByType = new Map<string, number>();
    for await (const wf of client.workflow.list({ query: `WorkflowId = '${campaignWorkflowId(campaignId)}'` })) {
      const h = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const n = countActions(h.events ?? [], campaignByType);
      campaignActions += n.billed;
      campaignEvents += n.events;
    }
    const calls = await sql<{ id: string }[]>`select id from calls where campaign_id = ${campaignId} limit 50`;
    let callActions = 0;
    let callEvents = 0;
    const byType = new Map<string, number>();
    for (const c of calls) {
      const h = await client.workflow.getHandle(`call/${c.id}`).fetchHistory();
      const n = countActions(h.events ?? [], byType);
      callActions += n.billed;
      callEvents += n.events;
    }
    const perCall = campaignActions / N + callActions / calls.length;
    const breakdown = (m: Map<string, number>, d: number) =>
      [...m].map(([k, v]) => `${k.replace('EVENT_TYPE_', '').toLowerCase()} ${(v / d).toFixed(2)}`).join(', ');
    console.log(`actions: campaign ${(campaignActions / N).toFixed(2)}/call (${breakdown(campaignByType, N)})`);
    console.log(`actions: call workflow ${(callActions / calls.length).toFixed(2)}/call (${breakdown(byType, calls.length)})`);
    console.log(
      `action events as recorded (every marker and upsert counted): ${(campaignEvents / N + callEvents / calls.length).toFixed(2)}/call`,
    );

    // baseline: bare fan-out of empty children, same window
    t = performance.now();
    await client.workflow.execute('benchFanOutWorkflow', {
      taskQueue,
      workflowId: `bench-fanout/${randomUUID()}`,
      args: [N, WINDOW],
    });
    const baseSec = (performance.now() - t) / 1000;
    console.log(`baseline: ${N} empty children in ${baseSec.toFixed(1)} s = ${(N / baseSec).toFixed(1)}/s`);
    // the same calls, bare: what the campaign costs on top of its calls
    const bare = Array.from({ length: N }, (_, i) => `+1415${String(7_000_000 + i).padStart(7, '0')}`);
    t = performance.now();
    await client.workflow.execute('benchFanOutCallsWorkflow', {
      taskQueue,
      workflowId: `bench-fanout-calls/${randomUUID()}`,
      args: [
        {
          accountId,
          maxDurationSec: settings.maxDurationSec,
          ringTimeoutSec: settings.ringTimeoutSec,
          voicemailPolicy: settings.voicemailPolicy,
          agentId: input.agentId,
          dialerTaskQueue: taskQueue,
          timeouts: input.callTimeouts,
        },
        bare,
        WINDOW,
      ],
    });
    const bareSec = (performance.now() - t) / 1000;
    console.log(
      `bare calls: ${N} call workflows fanned out with no campaign in ${bareSec.toFixed(1)} s = ${(N / bareSec).toFixed(1)} calls/s`,
    );
    const callsPerS = N / campaignSec;
    const basePerS = N / baseSec;
    const barePerS = N / bareSec;
    console.log(
      JSON.stringify({
        bench: 'campaign',
        calls: N,
        calls_per_s: Number(callsPerS.toFixed(1)),
        baseline_per_s: Number(basePerS.toFixed(1)),
        ratio: Number((callsPerS / basePerS).toFixed(3)),
        bare_calls_per_s: Number(barePerS.toFixed(1)),
        campaign_over_bare_calls: Number((callsPerS / barePerS).toFixed(3)),
        actions_per_call: Number(perCall.toFixed(1)),
        action_events_per_call: Number((campaignEvents / N + callEvents / calls.length).toFixed(1)),
      }),
    );
  });
} finally {
  await sim.close();
  apiServer.closeAllConnections();
  apiServer.close();
  await sql.end();
  await env.teardown();
  await dropDatabase(db).catch(() => {});
}
