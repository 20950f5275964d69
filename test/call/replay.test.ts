import { describe, expect, it } from 'vitest';
import { expectHistoriesReplay, historyFiles } from '../helpers/replay';

/**
 * Histories recorded from real runs, as binary protobuf (RECORD_CALL_HISTORIES=1 npx vitest run test/call/call-workflow.test.ts)
 * must keep replaying: a change to callWorkflow that breaks one needs patched().
 */
describe('callWorkflow recorded histories', () => {
  const dir = new URL('./histories/', import.meta.url);
  const files = historyFiles(dir);

  it('has fixtures for the terminal statuses', () => {
    for (const s of ['completed', 'busy', 'no_answer', 'failed', 'voicemail', 'invalid_number', 'insufficient_credits']) {
      expect(files.some((f) => f.endsWith(`-${s}.binpb`)), s).toBe(true);
    }
  });

  it('replay deterministically against the current workflow code', async () => {
    await expectHistoriesReplay(dir, files);
  });
});
