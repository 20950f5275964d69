import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { ensureDatabase, migrate, dropDatabase } from '../lib/migrate';
import { createSql, withDatabase } from '../lib/db';
import { loadConfig, ConfigError } from '../lib/config';
import { createSystemActivities } from '../activities/system';
import { testContext, withWorker } from './helpers/env';

describe('migrations', () => {
  it('apply to an empty database and are a no-op the second time', async () => {
    const url = withDatabase(inject('databaseUrl'), `aicall_mig_${randomUUID().slice(0, 8)}`);
    await ensureDatabase(url);
    try {
      const first = await migrate(url);
      expect(first.length).toBeGreaterThan(0);
      expect(first.map((m) => m.version)).toEqual([...first.map((m) => m.version)].sort());
      const second = await migrate(url);
      expect(second).toEqual([]);
      const sql = createSql(url, { max: 1 });
      try {
        const tables = (
          await sql<{ t: string }[]>`select table_name as t from information_schema.tables where table_schema = 'public'`
        ).map((r) => r.t);
        for (const t of [
          'accounts',
          'api_keys',
          'campaigns',
          'contacts',
          'calls',
          'call_costs',
          'transcript_turns',
          'topups',
          'schema_migrations',
        ]) {
          expect(tables).toContain(t);
        }
        const recorded = await sql`select version from schema_migrations`;
        expect(recorded.length).toBe(first.length);
      } finally {
        await sql.end();
      }
    } finally {
      await dropDatabase(url);
    }
  });

  it('money columns are bigint and call_costs keeps the replaced system columns', async () => {
    const { sql } = await testContext();
    const cols = await sql<{ column_name: string; data_type: string }[]>`
      select column_name, data_type from information_schema.columns where table_name = 'call_costs'`;
    const types = Object.fromEntries(cols.map((c) => [c.column_name, c.data_type]));
    for (const c of [
      'azure_stt_cost',
      'llm_cost',
      'tts_cost',
      'twilio_cost',
      'total_provider_cost',
      'charged_amount',
      'profit_margin',
    ]) {
      expect(types[c], c).toBe('bigint');
    }
  });
});

describe('temporal', () => {
  it('a workflow started through the client completes on the dev server with a real activity', async () => {
    const { sql, client } = await testContext();
    const result = await withWorker({ activities: createSystemActivities(sql) }, (taskQueue) =>
      client.workflow.execute('systemCheckWorkflow', { taskQueue, workflowId: `system-check/${randomUUID()}`, args: [] }),
    );
    expect(new Date(result.databaseTime).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('config', () => {
  it('runs every vendor against its simulator when none is configured', () => {
    const c = loadConfig({});
    expect(c.vendors).toEqual({ twilio: 'sim', azure: 'sim', openrouter: 'sim', elevenlabs: 'sim', billplz: 'sim' });
  });

  it('uses a vendor live when all its variables are set', () => {
    const c = loadConfig({ AZURE_SPEECH_KEY: 'k', AZURE_SPEECH_REGION: 'southeastasia' });
    expect(c.vendors.azure).toBe('live');
  });

  it('rejects a half-configured vendor, naming the missing variable', () => {
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'x' })).toThrowError(ConfigError);
    expect(() => loadConfig({ TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'x' })).toThrowError(/TWILIO_FROM_NUMBER missing/);
    expect(() => loadConfig({ BILLPLZ_API_KEY: 'k' })).toThrowError(/BILLPLZ_COLLECTION_ID, BILLPLZ_X_SIGNATURE_KEY missing/);
  });

  it('rejects malformed values with the variable name', () => {
    expect(() => loadConfig({ API_PORT: 'eighty' })).toThrowError(/API_PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'not a url' })).toThrowError(/DATABASE_URL/);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ TWILIO_ACCOUNT_SID: '', TWILIO_AUTH_TOKEN: '  ' }).vendors.twilio).toBe('sim');
  });
});

describe('.env.example', () => {
  it('documents every variable the config reads', async () => {
    const { readFile } = await import('node:fs/promises');
    const { ENV_KEYS } = await import('../lib/config');
    const text = await readFile(new URL('../.env.example', import.meta.url), 'utf8');
    const documented = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    expect(ENV_KEYS.filter((k) => !documented.has(k))).toEqual([]);
  });
});
