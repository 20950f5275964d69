import { describe, expect, it, inject } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

/**
 * campaignWorkflow histories recorded from real runs must keep replaying against the current code
 * (a change that breaks one needs patched()):
 *   report-with-start-before-patch — an `npm run demo` campaign, recorded before the
 *     campaign-inflight-before-start patch, in which a busy call's report arrived with its start;
 *   report-with-start-patched — campaign-early-report.test.ts's run with the patch
 *     (RECORD_CAMPAIGN_HISTORIES=1 npx vitest run test/campaign/campaign-early-report.test.ts).
 */
describe('campaignWorkflow recorded histories', () => {
  const dir = new URL('./histories/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.binpb')).sort();

  it('replay deterministically against the current workflow code', async () => {
    expect(files).toEqual(['report-with-start-before-patch.binpb', 'report-with-start-patched.binpb']);
    const histories = files.map((f) => ({ workflowId: f.replace(/\.binpb$/, ''), history: temporal.api.history.v1.History.decode(readFileSync(new URL(f, dir))) }));
    let n = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, histories)) {
      expect(r.error, `${r.workflowId}: ${r.error?.message}`).toBeUndefined();
      n++;
    }
    expect(n).toBe(files.length);
  });
});
