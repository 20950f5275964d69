import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startStack, type Stack } from '../../scripts/dev/stack';
import { createSql, withDatabase, type Sql } from '../../lib/db';
import { dropDatabase } from '../../lib/migrate';
import { freePort } from '../helpers/ports';
import type { Scenario } from '../../sim/twilio/scenario';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export interface ConsoleStack {
  stack: Stack;
  sql: Sql;
  /** http://127.0.0.1:<api port>: the origin Billplz redirects back to, so the session cookie applies. */
  origin: string;
  close(): Promise<void>;
}

/**
 * The whole product as `npm run dev` runs it (Temporal dev server in memory, simulators, workers,
 * media gateway, API), on free ports, its own database and data directory, with the Twilio
 * simulator playing `scenario`.
 */
export async function startConsoleStack(scenario: Scenario): Promise<ConsoleStack> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'aicall-console-'));
  const databaseUrl = withDatabase(inject('databaseUrl'), `aicall_console_${randomUUID().slice(0, 8)}`);
  const names = [
    'TEMPORAL_UI_PORT',
    'API_PORT',
    'MEDIA_GATEWAY_PORT',
    'WORKER_METRICS_PORT',
    'DIALER_METRICS_PORT',
    'SIM_TWILIO_PORT',
    'SIM_BILLPLZ_PORT',
    'SIM_AZURE_SPEECH_PORT',
    'SIM_OPENROUTER_PORT',
    'SIM_ELEVENLABS_PORT',
  ];
  const ports = Object.fromEntries(await Promise.all(names.map(async (n) => [n, String(await freePort())] as const)));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...ports,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_DEV_SERVER: '1',
    SIM_TWILIO_SCENARIO: JSON.stringify(scenario),
    SIM_RECORDINGS_DIR: 'off',
    DIALER_CALLS_PER_SECOND: '5',
    LOG_LEVEL: 'warn',
  };
  const stack = await startStack({ dataDir, env, log: () => {}, temporalInMemory: true, quiet: true });
  const sql = createSql(databaseUrl, { max: 3, debugName: 'console-test' });
  return {
    stack,
    sql,
    origin: `http://127.0.0.1:${stack.config.API_PORT}`,
    close: async () => {
      await sql.end({ timeout: 5 });
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
      await dropDatabase(databaseUrl).catch(() => undefined);
    },
  };
}
