import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { runApiCommand } from '../../scripts/cli/api';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';
import { testAgent } from '../campaign/harness';
import { testNumber } from '../call/harness';

/** `npm run cli -- api …`: the CLI as a client, through the typed client generated from the contract. */
let ctx: TestContext;
let api: Awaited<ReturnType<typeof startTestApi>>;
let key: string;
beforeAll(async () => {
  ctx = await testContext();
  api = await startTestApi(ctx, { API_RATE_LIMIT_PER_SEC: 1000, API_RATE_LIMIT_BURST: 1000 });
  key = (await createTestAccount(ctx.sql, { withKey: true })).apiKey!;
});
afterAll(() => api.close());

async function cli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runApiCommand(
    [...args, '--url', api.url, '--key', key],
    (s) => out.push(s),
    (s) => err.push(s),
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('cli api', () => {
  it('lists and shows campaigns, uploads a CSV file, and shows the balance', async () => {
    const c = (
      await api.call('POST', '/v1/campaigns', { key, body: { name: 'From the CLI', agent: testAgent, defaultRegion: 'US' } })
    ).body.campaign;
    const dir = await mkdtemp(path.join(tmpdir(), 'aicall-cli-'));
    const file = path.join(dir, 'contacts.csv');
    await writeFile(file, `phone,name\n${testNumber()},Ali\nnope,Bad\n`);
    const up = await cli('contacts', 'upload', c.id, file);
    expect(up.code, up.err).toBe(0);
    expect(JSON.parse(up.out)).toMatchObject({ accepted: 1, invalid: [{ line: 3, phone: 'nope' }] });
    const list = await cli('campaigns', 'list');
    expect(list.out).toMatch(new RegExp(`${c.id}\\s+draft\\s+1 contacts\\s+From the CLI`));
    expect(JSON.parse((await cli('campaigns', 'show', c.id)).out)).toMatchObject({
      id: c.id,
      contactCount: 1,
      progress: { contacts: { pending: 1 } },
    });
    expect(JSON.parse((await cli('credits')).out)).toEqual({ available: 0, held: 0, currency: 'USD', unit: 'micro' });
  });

  it("an API refusal is exit 1 with the API's message; a usage mistake is exit 2 with the usage", async () => {
    const missing = await cli('campaigns', 'show', '6f1c1f0e-1d2c-4b3a-8f9e-0a1b2c3d4e5f');
    expect([missing.code, missing.err]).toEqual([1, 'the API answered 404: campaign not found']);
    const draft = (await api.call('POST', '/v1/campaigns', { key, body: { name: 'Draft', agent: testAgent } })).body.campaign;
    const pause = await cli('campaigns', 'pause', draft.id, '--reason', 'lunch');
    expect([pause.code, pause.err]).toEqual([1, 'the API answered 409: the campaign has not been started']);
    const usage = await cli('campaigns', 'fly');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/unknown command: api campaigns fly[\s\S]*usage:[\s\S]*api contacts upload/);
    expect((await cli('topup', '--amount', 'ten')).code).toBe(2);
  });

  it('npm run cli -- api … reaches the API through scripts/cli.ts', async () => {
    const { stdout } = await promisify(execFile)('node_modules/.bin/tsx', ['scripts/cli.ts', 'api', 'credits'], {
      env: { ...process.env, AICALL_API_URL: api.url, AICALL_API_KEY: key },
    });
    expect(JSON.parse(stdout)).toMatchObject({ unit: 'micro' });
  });
});
