import { expect, inject } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** The recorded histories (`*.binpb`) in `dir`, sorted by file name. */
export function historyFiles(dir: URL): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.binpb'))
    .sort();
}

/** Replays each history against the run's workflow bundle: none may be nondeterministic, and all must run. */
export async function expectReplays(histories: { workflowId: string; history: History }[]): Promise<void> {
  let n = 0;
  for await (const r of Worker.runReplayHistories(
    { workflowBundle: { codePath: inject('workflowBundlePath') } },
    histories.map(({ workflowId, history }) => ({ workflowId, history })),
  )) {
    expect(r.error, `${r.workflowId}: ${r.error?.message}`).toBeUndefined();
    n++;
  }
  expect(n).toBe(histories.length);
}

/** expectReplays over history files in `dir`, each named by its file. */
export async function expectHistoriesReplay(dir: URL, files: string[]): Promise<void> {
  await expectReplays(
    files.map((f) => ({
      workflowId: f.replace(/\.binpb$/, ''),
      history: temporal.api.history.v1.History.decode(readFileSync(new URL(f, dir))),
    })),
  );
}
