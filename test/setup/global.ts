import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ensureDatabase, migrate, dropDatabase } from '../../lib/migrate';
import { withDatabase } from '../../lib/db';
import { temporalCliPath } from '../../lib/temporal-bin';
import { SA } from '../../lib/search-attributes';
import { WORKFLOWS_PATH } from '../../workers/workflow-bundle';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    workflowBundlePath: string;
  }
}

/**
 * Once per `npm test`: a fresh, migrated Postgres database (dropped afterwards), a real Temporal
 * dev server from the locally installed CLI (or TEMPORAL_ADDRESS), and the workflow code bundled
 * once so each test's Worker starts in milliseconds instead of re-running webpack.
 */
export default async function setup(project: TestProject) {
  const base = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `aicall_test_${Date.now()}_${process.pid}`;
  const databaseUrl = withDatabase(base, dbName);
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);

  let env: TestWorkflowEnvironment | undefined;
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  if (!temporalAddress) {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: temporalCliPath() },
        searchAttributes: [SA.AccountId, SA.CampaignId, SA.CallStatus],
        extraArgs: ['--log-level', 'error'],
      },
    });
    temporalAddress = env.connection.options.address;
  }

  const dir = await mkdtemp(path.join(tmpdir(), 'aicall-wf-'));
  const workflowBundlePath = path.join(dir, 'workflows.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  await writeFile(workflowBundlePath, code);

  project.provide('databaseUrl', databaseUrl);
  project.provide('temporalAddress', temporalAddress);
  project.provide('workflowBundlePath', workflowBundlePath);

  return async () => {
    await env?.teardown();
    await rm(dir, { recursive: true, force: true });
    if (!process.env.KEEP_TEST_DB) await dropDatabase(databaseUrl);
  };
}

const noop = () => {};
const quietLogger = { trace: noop, debug: noop, info: noop, warn: console.warn, error: console.error, log: noop };
