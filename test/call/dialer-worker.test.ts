import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createDialerWorker, dialerWorkerOptions } from '../../workers/dialer';
import { withWorker } from '../helpers/env';
import { runCall, startCallHarness, testNumber, type CallHarness } from './harness';

let h: CallHarness;
beforeAll(async () => {
  h = await startCallHarness();
});
afterAll(async () => h?.close());

describe('dialer worker', () => {
  it('is rate-limited queue-wide from DIALER_CALLS_PER_SECOND, without eager activities', () => {
    expect(dialerWorkerOptions({ DIALER_TASK_QUEUE: 'dialer', DIALER_CALLS_PER_SECOND: 3 })).toEqual({
      taskQueue: 'dialer',
      maxTaskQueueActivitiesPerSecond: 3,
      maxEagerActivityReservationsPerWorkflowTask: 0,
    });
  });

  it('workers/dialer.ts dials for a workflow running on another worker', async () => {
    const to = testNumber();
    h.sim.scenario.numbers = { [to]: { kind: 'answer', afterMs: 20, hangupAfterMs: 1000 } };
    const { callDial: _dial, ...orchestrationOnly } = h.activities as Record<string, unknown>;
    const dialerQueue = `test-dialer-${randomUUID()}`;
    const input = { ...h.input(to), dialerTaskQueue: dialerQueue };
    const { result } = await withWorker({ activities: orchestrationOnly }, async (tq) => {
      const dialer = await createDialerWorker({ ...h.config, DIALER_CALLS_PER_SECOND: 5 }, { taskQueue: dialerQueue });
      try {
        return await dialer.worker.runUntil(runCall(h, tq, input, 'dialer-worker'));
      } finally {
        await dialer.close();
      }
    });
    expect(result.status).toBe('completed');
    expect(h.sim.creates(to)).toHaveLength(1);
    expect(await h.ledgerOps(input.callId)).toEqual(['hold', 'post']);
  });
});
