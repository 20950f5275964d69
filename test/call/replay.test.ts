import { describe, expect, it, inject } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

/**
 * Histories recorded from real runs, as binary protobuf (RECORD_CALL_HISTORIES=1 npx vitest run test/call/call-workflow.test.ts)
 * must keep replaying: a change to callWorkflow that breaks one needs patched().
 */
describe('callWorkflow recorded histories', () => {
  const dir = new URL('./histories/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.binpb')).sort();

  it('has fixtures for the terminal statuses', () => {
    for (const s of ['completed', 'busy', 'no_answer', 'failed', 'voicemail', 'invalid_number', 'insufficient_credits']) {
      expect(files.some((f) => f.endsWith(`-${s}.binpb`)), s).toBe(true);
    }
  });

  it('replay deterministically against the current workflow code', async () => {
    const histories = files.map((f) => ({ workflowId: f.replace(/\.binpb$/, ''), history: temporal.api.history.v1.History.decode(readFileSync(new URL(f, dir))) }));
    let n = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories)) {
      expect(r.error, `${r.workflowId}: ${r.error?.message}`).toBeUndefined();
      n++;
    }
    expect(n).toBe(files.length);
  });
});
