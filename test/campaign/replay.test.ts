import { describe, expect, it } from 'vitest';
import { expectHistoriesReplay, historyFiles } from '../helpers/replay';

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
  const files = historyFiles(dir);

  it('replay deterministically against the current workflow code', async () => {
    expect(files).toEqual(['report-with-start-before-patch.binpb', 'report-with-start-patched.binpb']);
    await expectHistoriesReplay(dir, files);
  });
});
