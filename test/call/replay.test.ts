import { describe, expect, it } from 'vitest';
import { expectHistoriesReplay, historyFiles } from '../helpers/replay';

/**
 * Histories recorded from real runs of the v1 workflow, as binary protobuf
 * (RECORD_CALL_HISTORIES=1 npx vitest run test/call/call-workflow.test.ts test/call/defects.test.ts),
 * must keep replaying: a change to callWorkflow that breaks one follows the versioning policy
 * (docs/design.md: patched() with its deprecatePatch and removal steps, or Worker Versioning).
 */
describe('callWorkflow recorded histories', () => {
  const dir = new URL('./histories/', import.meta.url);
  const files = historyFiles(dir);

  it('has fixtures for the terminal statuses', () => {
    for (const s of [
      'completed',
      'voicemail',
      'busy',
      'no_answer',
      'failed',
      'invalid_number',
      'insufficient_credits',
      'canceled',
      'suppressed',
      'not_attempted',
    ]) {
      expect(
        files.some((f) => f.endsWith(`-${s}.binpb`)),
        s,
      ).toBe(true);
    }
    // The dial whose outcome stayed unknown (no call found, no callback): failed, hold voided.
    expect(files).toContain('dial-unknown-failed.binpb');
  });

  it('replay deterministically against the current workflow code', async () => {
    await expectHistoriesReplay(dir, files);
  });
});
