import { describe, expect, it } from 'vitest';
import { expectHistoriesReplay, historyFiles } from '../helpers/replay';

/**
 * campaignWorkflow histories recorded from real runs of the v1 code must keep replaying against the
 * current code (from v1 on, a change that breaks one ships behind patched() with its deprecatePatch
 * and removal steps; design: Temporal practice). Recorded with RECORD_CAMPAIGN_HISTORIES=1:
 *   continue-as-new-with-calls-in-flight-run1/-run2 — campaign-workflow.test.ts's first campaign:
 *     retries, a run that continues as new while calls are in flight, and the run that takes them
 *     over and hears their reports;
 *   report-with-start — campaign-early-report.test.ts: a call's report arriving in the same
 *     activation as its start.
 */
describe('campaignWorkflow recorded histories', () => {
  const dir = new URL('./histories/', import.meta.url);
  const files = historyFiles(dir);

  it('replay deterministically against the current workflow code', async () => {
    expect(files).toEqual([
      'continue-as-new-with-calls-in-flight-run1.binpb',
      'continue-as-new-with-calls-in-flight-run2.binpb',
      'report-with-start.binpb',
    ]);
    await expectHistoriesReplay(dir, files);
  });
});
