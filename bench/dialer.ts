/**
 * npm run bench:dialer — does the dialer queue hold the Twilio account's calls-per-second budget?
 * Starts BENCH_CALLS call workflows at once against the Twilio simulator (every callee busy), with
 * the dialer worker's queue limited to DIALER_CALLS_PER_SECOND, and reports the dial rate the
 * simulator saw and the workflow-start-to-dial latency. Everything runs locally: a Temporal dev
 * server from .venv, a scratch Postgres database (dropped), the simulator and API on loopback.
 * Env: BENCH_CALLS (default 20), DIALER_CALLS_PER_SECOND (default 5), DATABASE_URL (server).
 * Observed here (Temporal CLI 1.9.1 dev server): the sustained rate stays at or under the limit,
 * but the server's limiter lets a burst of about twice the limit through in the first second —
 * harmless with Twilio, which queues calls above the account's CPS rather than failing them.
 * Last line: {"bench":"dialer","limit_per_s":…,"achieved_per_s":…,"max_in_any_1s":…,"p50_start_to_dial_ms":…}
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, NativeConnection, Worker, Runtime, DefaultLogger } from '@temporalio/worker';
import { createSql, withDatabase } from '../lib/db';
import { dropDatabase, ensureDatabase, migrate } from '../lib/migrate';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { createLedger } from '../lib/ledger';
import { saveAgent } from '../lib/agents/store';
import type { CallInput } from '../workflows/call/contract';
import { SA } from '../lib/search-attributes';
import { temporalCliPath } from '../lib/temporal-bin';
import { callWorkflowId } from '../lib/ids';
import { createApp } from '../api/app';
import { callActivitiesFromConfig, dialerActivitiesFromConfig } from '../activities/call';
import { dialerWorkerOptions } from '../workers/dialer';
import { WORKFLOWS_PATH } from '../workers/workflow-bundle';
import { startTwilioSim } from '../sim/twilio/server';

const calls = Number(process.env.BENCH_CALLS ?? 20);
const perSecond = Number(process.env.DIALER_CALLS_PER_SECOND ?? 5);
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const db = withDatabase(server, `aicall_bench_dialer_${Date.now()}`);

Runtime.install({ logger: new DefaultLogger('WARN') });
const quiet = { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} };
await ensureDatabase(db);
const env = await TestWorkflowEnvironment.createLocal({
  server: {
    executable: { type: 'existing-path', path: temporalCliPath() },
    searchAttributes: [SA.AccountId, SA.CampaignId, SA.CallStatus],
    extraArgs: ['--log-level', 'error'],
  },
});
try {
  await migrate(db);
  const sql = createSql(db, { max: 10 });
  const log = createLogger('bench', 'silent');
  const sim = await startTwilioSim({ scenario: { default: { kind: 'busy', afterMs: 10 } } });
  const api = http.createServer();
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const config = {
    ...loadConfig({ DATABASE_URL: db, LOG_LEVEL: 'silent', DIALER_CALLS_PER_SECOND: String(perSecond) } as NodeJS.ProcessEnv),
    APP_ORIGIN: `http://127.0.0.1:${(api.address() as AddressInfo).port}`,
    MEDIA_PUBLIC_URL: 'ws://127.0.0.1:9',
    MEDIA_TOKEN_SECRET: 'bench',
    TWILIO_API_BASE: sim.url,
  };
  api.on('request', createApp({ sql, temporal: env.client, config, log }));
  const [acct] = await sql<{ id: string }[]>`insert into accounts (name) values ('bench') returning id`;
  await createLedger(sql).credit({ accountId: acct!.id, amount: 1_000_000_000, key: `bench/${acct!.id}`, reason: 'bench' });
  const agentId = await saveAgent(sql, acct!.id, {
    systemPrompt: 's',
    firstMessage: 'hi',
    language: 'en-US',
    voiceId: 'v',
    llmModel: 'm',
  });

  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  const connection = await NativeConnection.connect({ address: env.connection.options.address });
  const orchestrationQueue = `bench-orch-${randomUUID()}`;
  const dialerQueue = `bench-dialer-${randomUUID()}`;
  const orchestrator = await Worker.create({
    connection,
    taskQueue: orchestrationQueue,
    workflowBundle: { code },
    activities: callActivitiesFromConfig({ sql, config, log }),
  });
  // One dialer worker per process (the SDK refuses two on a queue in one process); the limit is
  // enforced by the server for the queue, so more processes would share the same budget.
  const dialers = [
    await Worker.create({
      connection,
      ...dialerWorkerOptions(config),
      taskQueue: dialerQueue,
      activities: dialerActivitiesFromConfig({ sql, config, log }),
    }),
  ];

  const started = new Map<string, number>();
  const run = async () => {
    const handles = await Promise.all(
      Array.from({ length: calls }, async (_, i) => {
        const callId = randomUUID();
        const to = `+1415555${String(1000 + i).padStart(4, '0')}`;
        started.set(to, performance.now());
        return env.client.workflow.start('callWorkflow', {
          taskQueue: orchestrationQueue,
          workflowId: callWorkflowId(callId),
          args: [
            {
              callId,
              accountId: acct!.id,
              attempt: 1,
              to,
              maxDurationSec: 60,
              ringTimeoutSec: 5,
              voicemailPolicy: 'hangup',
              dialerTaskQueue: dialerQueue,
              agentId,
            } satisfies CallInput,
          ],
        });
      }),
    );
    return Promise.all(handles.map((h) => h.result()));
  };
  // Every worker runs until the calls are done (each runUntil starts its worker at once).
  const results = await dialers.reduce((p, w) => w.runUntil(p), orchestrator.runUntil(run()));
  const creates = sim.createLog.filter((c) => c.outcome === 'created');
  const times = creates.map((c) => c.at.getTime()).sort((a, b) => a - b);
  const span = (times.at(-1)! - times[0]!) / 1000;
  let maxInWindow = 0;
  for (let i = 0; i < times.length; i++)
    maxInWindow = Math.max(maxInWindow, times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length);
  const wallNow = Date.now() - performance.now();
  const latencies = creates.map((c) => c.at.getTime() - (wallNow + started.get(c.to)!)).sort((a, b) => a - b);
  const out = {
    bench: 'dialer',
    calls,
    busy: results.filter((r) => (r as { status: string }).status === 'busy').length,
    limit_per_s: perSecond,
    achieved_per_s: Number(((times.length - 1) / span).toFixed(2)),
    max_in_any_1s: maxInWindow,
    p50_start_to_dial_ms: Math.round(latencies[Math.floor(latencies.length / 2)]!),
    max_start_to_dial_ms: Math.round(latencies.at(-1)!),
  };
  console.log(
    `${out.calls} calls, ${out.busy} ended busy; dials at ${out.achieved_per_s}/s (limit ${perSecond}/s, at most ${maxInWindow} in any second); start→dial p50 ${out.p50_start_to_dial_ms} ms, max ${out.max_start_to_dial_ms} ms`,
  );
  console.log(JSON.stringify(out));
  await sim.close();
  api.closeAllConnections();
  api.close();
  await sql.end();
  await connection.close();
} finally {
  await env.teardown();
  await dropDatabase(db);
}
