import { beforeAll, describe, expect, it, inject } from 'vitest';
import { randomUUID } from 'node:crypto';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { fileURLToPath } from 'node:url';
import { testContext, type TestContext } from '../helpers/env';
import { dialerWorkerOptions } from '../../workers/dialer';

/**
 * The dialer's calls-per-second limit is Twilio's, per account, so it must hold across every dialer
 * worker: two dialers with the real options (workers/dialer.ts: Temporal's task-queue rate limit,
 * the same value on each, eager dispatch off) together start no more than CPS dials a second. The
 * control: the same two workers with a per-worker limit of the same value go about twice as fast,
 * which is what the task-queue limit prevents (and shows this test can fail).
 */
const CPS = 4;
const DIALS = 32;
let ctx: TestContext;
let bundle: { code: string };
beforeAll(async () => {
  ctx = await testContext();
  bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/dial-burst.ts', import.meta.url)),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
}, 120_000);

async function dialsThroughTwoDialers(limits: (queue: string) => Partial<WorkerOptions>) {
  const dialerQueue = `cps-${randomUUID()}`;
  const workflowQueue = `cps-wf-${randomUUID()}`;
  const starts: { worker: number; at: number }[] = [];
  // One connection per dialer, as two dialer processes have (the SDK refuses two pollers of one
  // queue on one connection).
  const connections = await Promise.all([0, 1, 2].map(() => NativeConnection.connect({ address: inject('temporalAddress') })));
  const connection = connections[0]!;
  try {
    const dialer = (n: number) =>
      Worker.create({
        connection: connections[n]!,
        ...limits(dialerQueue),
        taskQueue: dialerQueue,
        activities: { callDial: async () => void starts.push({ worker: n, at: performance.now() }) },
      });
    const dialers = await Promise.all([1, 2].map(dialer));
    const orchestrator = await Worker.create({ connection, taskQueue: workflowQueue, workflowBundle: bundle });
    const run = ctx.client.workflow.execute('dialBurst', {
      taskQueue: workflowQueue,
      workflowId: `cps/${randomUUID()}`,
      args: [dialerQueue, DIALS],
    });
    await orchestrator.runUntil(Promise.all(dialers.map((d) => d.runUntil(run))));
  } finally {
    await Promise.all(connections.map((c) => c.close()));
  }
  starts.sort((a, b) => a.at - b.at);
  // The rate after the initial burst (a token bucket starts full): dials beyond the first CPS over
  // the time they took.
  const steady = starts.slice(CPS);
  const rate = (steady.length - 1) / ((steady[steady.length - 1]!.at - steady[0]!.at) / 1000);
  const perWorker = [1, 2].map((n) => starts.filter((s) => s.worker === n).length);
  return { rate, perWorker, total: starts.length };
}

describe('dialer calls-per-second across two dialer workers', () => {
  it('holds queue-wide with the dialer options: both dialers dial, together at most CPS a second', async () => {
    const r = await dialsThroughTwoDialers((queue) =>
      dialerWorkerOptions({ DIALER_TASK_QUEUE: queue, DIALER_CALLS_PER_SECOND: CPS }),
    );
    expect(r.total).toBe(DIALS);
    for (const n of r.perWorker) expect(n, `dials per worker ${r.perWorker}`).toBeGreaterThan(0);
    expect(r.rate, `${r.rate.toFixed(2)} dials/s with a limit of ${CPS}`).toBeLessThanOrEqual(CPS * 1.15);
  }, 120_000);

  it('control: a per-worker limit of the same value lets two dialers go past it', async () => {
    const r = await dialsThroughTwoDialers(() => ({
      maxActivitiesPerSecond: CPS,
      maxEagerActivityReservationsPerWorkflowTask: 0,
    }));
    expect(r.total).toBe(DIALS);
    expect(r.rate, `${r.rate.toFixed(2)} dials/s`).toBeGreaterThan(CPS * 1.3);
  }, 120_000);
});
