import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../helpers/env';
import { startTestApi } from '../helpers/api';
import { createTestAccount } from '../helpers/accounts';
import { testAgent } from '../campaign/harness';
import { testNumber } from '../call/harness';

/** What a new user meets when they send the wrong thing: each answer says what to send instead. */
let ctx: TestContext;
let api: Awaited<ReturnType<typeof startTestApi>>;
let key: string;
beforeAll(async () => {
  ctx = await testContext();
  api = await startTestApi(ctx, { API_RATE_LIMIT_PER_SEC: 1000, API_RATE_LIMIT_BURST: 1000 });
  key = (await createTestAccount(ctx.sql, { withKey: true })).apiKey!;
});
afterAll(() => api.close());

const draft = async () =>
  (await api.call('POST', '/v1/campaigns', { key, body: { name: 'Errors', agent: testAgent, defaultRegion: 'US' } })).body
    .campaign.id as string;
const upload = (id: string, body: string | Buffer, contentType: string) =>
  fetch(`${api.url}/v1/campaigns/${id}/contacts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': contentType },
    body: typeof body === 'string' ? body : new Uint8Array(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

describe('a JSON body that is not an object', () => {
  it.each([
    ['null', /a JSON object is expected, not `null`/],
    ['"campaign"', /a JSON object is expected, not a string/],
    ['42', /a JSON object is expected, not a number/],
    ['[]', /a JSON object is expected/],
    ['{"name": ', /the body is not valid JSON/],
  ])('%s: 400 saying a JSON object is expected', async (body, message) => {
    const res = await api.call('POST', '/v1/campaigns', { key, body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });
});

describe('a CSV upload under the content type a browser gives a .csv file', () => {
  it.each([
    'text/csv',
    'application/vnd.ms-excel',
    'application/octet-stream',
    'text/plain',
    'application/csv',
    'text/csv; charset=utf-8',
  ])('%s is read as CSV', async (type) => {
    const id = await draft();
    const [a, b] = [testNumber(), testNumber()];
    const res = await upload(id, `\uFEFFphone,name\n${a},Ali\n${b},Siti\nnope,Bad\n`, type);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.accepted).toBe(2);
    expect(res.body.invalid).toEqual([expect.objectContaining({ line: 4, phone: 'nope' })]);
    const rows = await ctx.sql`select phone_e164, name from contacts where campaign_id = ${id} order by seq`;
    expect(rows.map((r) => r.name)).toEqual(['Ali', 'Siti']);
  });

  it('a CSV in the charset it names (windows-1252) keeps its accents', async () => {
    const id = await draft();
    const res = await upload(
      id,
      Buffer.from(`phone,name\n${testNumber()},Jos\xe9\n`, 'latin1'),
      'text/csv; charset=windows-1252',
    );
    expect(res.status).toBe(200);
    expect((await ctx.sql`select name from contacts where campaign_id = ${id}`)[0]!.name).toBe('José');
  });

  it('an Excel workbook (.xlsx or .xls) is 415 saying to save it as CSV', async () => {
    const id = await draft();
    for (const magic of ['504b030414000600', 'd0cf11e0a1b11ae1']) {
      const res = await upload(id, Buffer.concat([Buffer.from(magic, 'hex'), Buffer.alloc(64, 1)]), 'application/vnd.ms-excel');
      expect(res.status).toBe(415);
      expect(res.body.message).toMatch(/Excel workbook.*save it as CSV/);
    }
  });

  it('bytes that are not UTF-8 are 400 naming the charset; a form post is 415 naming what to send', async () => {
    const id = await draft();
    const latin = await upload(id, Buffer.from(`phone,name\n${testNumber()},Jos\xe9\n`, 'latin1'), 'application/octet-stream');
    expect([latin.status, latin.body.error]).toEqual([400, 'bad_csv']);
    expect(latin.body.message).toMatch(/not utf-8 text/);
    const form = await upload(id, 'phone=1', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect(form.body.message).toMatch(/text\/csv.*application\/json/);
    expect((await ctx.sql`select count(*)::int as n from contacts where campaign_id = ${id}`)[0]!.n).toBe(0);
  });
});

// (pause or resume while the workflow is `canceling` is 409 too: test/contract/contract.test.ts)
describe('pause, resume and cancel of a campaign that has ended', () => {
  it.each(['completed', 'canceled', 'failed'])(
    'a %s campaign: 409 with its status, decided by the API before any workflow is asked',
    async (status) => {
      const id = await draft();
      // no workflow exists for it: the answer comes from the campaign's row alone
      await ctx.sql`update campaigns set status = ${status}, started_at = now(), finished_at = now() where id = ${id}`;
      for (const action of ['pause', 'resume', 'cancel']) {
        const res = await api.call('POST', `/v1/campaigns/${id}/${action}`, { key, body: {} });
        expect([action, res.status, res.body.error, res.body.status]).toEqual([action, 409, 'campaign_finished', status]);
        expect(res.body.message).toContain(status);
      }
    },
  );
});
