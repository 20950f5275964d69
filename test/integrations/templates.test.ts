import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext, type TestContext } from '../helpers/env';
import { createTestAccount } from '../helpers/accounts';
import { startTestApi } from '../helpers/api';
import {
  checkDisclosure,
  contactVariables,
  MissingVariablesError,
  missingVariables,
  renderAgent,
  renderTemplate,
  templateVariables,
  TemplateSyntaxError,
} from '../../lib/templates';

describe('templates (no I/O)', () => {
  it('fills placeholders, with defaults, case-insensitively, in one pass', () => {
    expect(renderTemplate('Hi {{name|there}}, about {{ Policy }}.', { name: 'Ali', policy: 'P-9' })).toBe('Hi Ali, about P-9.');
    expect(renderTemplate('Hi {{name|there}}!', {})).toBe('Hi there!');
    expect(renderTemplate('Hi {{name|there}}!', { name: '   ' })).toBe('Hi there!'); // blank is absent
    expect(renderTemplate('{{a}}', { a: '{{b}}', b: 'x' })).toBe('{{b}}'); // a value is never expanded
    expect(renderTemplate('Hi {{name|}}!', {})).toBe('Hi !'); // an explicit empty default
    expect(() => renderTemplate('Hi {{name}}, {{city}}', { name: 'Ali' })).toThrow(MissingVariablesError);
    try {
      renderTemplate('{{a}} {{b}} {{a}}', {});
    } catch (err) {
      expect((err as MissingVariablesError).missing).toEqual(['a', 'b']);
    }
    expect(renderTemplate('Hi {{name}}', {}, { strict: false })).toBe('Hi ');
  });

  it('Malay text in templates, values and defaults', () => {
    const t =
      'Selamat pagi {{gelaran|Tuan/Puan}} {{nama}}, saya Aina dari Bank Sinar, menelefon berkenaan kad kredit anda di {{bandar|Kuala Lumpur}}.';
    expect(renderTemplate(t, { nama: 'Siti Nurhaliza binti Tarudin', gelaran: 'Puan' })).toBe(
      'Selamat pagi Puan Siti Nurhaliza binti Tarudin, saya Aina dari Bank Sinar, menelefon berkenaan kad kredit anda di Kuala Lumpur.',
    );
    expect(renderTemplate('{{nama}} — “{{nota|tiada}}” ✓', { nama: 'Encik Ahmad Zulkifli' })).toBe(
      'Encik Ahmad Zulkifli — “tiada” ✓',
    );
    expect(checkDisclosure(t).ok).toBe(true);
  });

  it('rejects malformed placeholders with their position', () => {
    expect(() => renderTemplate('Hi {{first name}}', {})).toThrow(/character 4/);
    expect(() => renderTemplate('Hi {{name', {})).toThrow(/unmatched "\{\{" at character 4/);
    expect(() => renderTemplate('Hi }} there', {})).toThrow(TemplateSyntaxError);
    expect(templateVariables('{{a}} {{b|x}} {{B}} {{a|y}}')).toEqual([
      { name: 'a', required: true },
      { name: 'b', required: true },
    ]);
    expect(templateVariables('{{b|x}}')).toEqual([{ name: 'b', required: false }]);
  });

  it('renders an agent for a contact, name included', () => {
    const agent = {
      systemPrompt: 'Speak to {{name}} about policy {{policy}}.',
      firstMessage: 'Hi {{name|there}}, this is Aina from Acme, calling about your renewal.',
      voicemailMessage: 'Call us back, {{name|friend}}.',
      language: 'en-US',
      voiceId: 'v',
      llmModel: 'm',
    };
    const r = renderAgent(agent, contactVariables({ name: 'Ali', variables: { policy: 'P-1' } }));
    expect(r).toEqual({
      ...agent,
      systemPrompt: 'Speak to Ali about policy P-1.',
      firstMessage: 'Hi Ali, this is Aina from Acme, calling about your renewal.',
      voicemailMessage: 'Call us back, Ali.',
    });
    expect(
      missingVariables(agent, [
        { name: 'A', variables: { policy: 'x' } },
        { name: null, variables: { policy: 'y' } },
        { name: 'C', variables: {} },
      ]).map((m) => m.missing),
    ).toEqual([['name'], ['policy']]);
  });

  it('the disclosure check wants who is calling and why, in English or Malay', () => {
    expect(checkDisclosure('Hello!')).toMatchObject({ ok: false, missing: ['who', 'why'] });
    expect(checkDisclosure('Hi, this is Aina from Acme.')).toMatchObject({ ok: false, missing: ['why'] });
    expect(checkDisclosure('We are calling about your policy renewal.')).toMatchObject({ ok: false, missing: ['who'] });
    expect(checkDisclosure('Hi {{name|there}}, this is {{agent|Aina}} from Acme, calling about your renewal.').ok).toBe(true);
    expect(checkDisclosure('Assalamualaikum, saya Aina dari Acme, menelefon mengenai polisi anda.').ok).toBe(true);
    expect(checkDisclosure('Hello!').message).toMatch(/must say who is calling and why.*For example/);
  });
});

describe('personalised calls through the API', () => {
  let ctx: TestContext;
  let api: Awaited<ReturnType<typeof startTestApi>>;
  beforeAll(async () => {
    ctx = await testContext();
    api = await startTestApi(ctx);
  });
  afterAll(async () => api?.close());

  const agent = (over: Record<string, unknown> = {}) => ({
    systemPrompt: 'You speak to {{name}} about policy {{policy}}. Their city: {{city|unknown}}.',
    firstMessage: 'Selamat pagi {{name}}, saya Aina dari Acme, menelefon berkenaan polisi {{policy}}.',
    language: 'ms-MY',
    voiceId: 'v',
    llmModel: 'm',
    ...over,
  });
  const account = async () => (await createTestAccount(ctx.sql, { withKey: true })) as { id: string; apiKey: string };

  it('refuses an upload whose contacts lack a variable without a default, naming the lines, and stores nothing', async () => {
    const a = await account();
    const created = await api.call('POST', '/v1/campaigns', { key: a.apiKey, body: { name: 'vars', agent: agent() } });
    expect(created.status, created.text).toBe(201);
    const id = created.body.campaign.id;
    const csv = 'phone,name,policy,city\n+60123000001,Ali,P-1,Ipoh\n+60123000002,Siti,,\n+60123000003,,P-3,\n';
    const res = await api.call('POST', `/v1/campaigns/${id}/contacts`, {
      key: a.apiKey,
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('missing_variables');
    expect(res.body.message).toMatch(/line 3 \(policy\); line 4 \(name\)/);
    expect(res.body.details).toEqual([
      { line: 3, phone: '+60123000002', missing: ['policy'] },
      { line: 4, phone: '+60123000003', missing: ['name'] },
    ]);
    expect(await ctx.sql`select 1 from contacts where campaign_id = ${id}`).toHaveLength(0);
    // inline contacts at creation are checked the same way, before the campaign exists
    const inline = await api.call('POST', '/v1/campaigns', {
      key: a.apiKey,
      body: { name: 'vars2', agent: agent(), contacts: [{ phone: '+60123000004', name: 'Ali' }] },
    });
    expect(inline.status).toBe(400);
    expect(inline.body.details).toEqual([{ line: 1, phone: '+60123000004', missing: ['policy'] }]);
  });

  it('previews the rendered first message and prompt for a contact, Malay text included', async () => {
    const a = await account();
    const created = await api.call('POST', '/v1/campaigns', { key: a.apiKey, body: { name: 'vars', agent: agent() } });
    const id = created.body.campaign.id;
    const csv = 'phone,name,policy,City\n0123000011,Encik Ahmad bin Abdullah,P-77,Kota Bharu\n0123000012,Puan Siti,P-78,\n';
    expect(
      (
        await api.call('POST', `/v1/campaigns/${id}/contacts`, {
          key: a.apiKey,
          body: csv,
          headers: { 'content-type': 'text/csv' },
        })
      ).status,
    ).toBe(200);
    const p = await api.call('GET', `/v1/campaigns/${id}/preview?contact=${encodeURIComponent('+60123000011')}`, {
      key: a.apiKey,
    });
    expect(p.status, p.text).toBe(200);
    expect(p.body.firstMessage).toBe(
      'Selamat pagi Encik Ahmad bin Abdullah, saya Aina dari Acme, menelefon berkenaan polisi P-77.',
    );
    expect(p.body.systemPrompt).toBe('You speak to Encik Ahmad bin Abdullah about policy P-77. Their city: Kota Bharu.');
    expect(p.body).toMatchObject({
      missing: [],
      disclosure: { ok: true },
      variables: { name: 'Encik Ahmad bin Abdullah', policy: 'P-77', city: 'Kota Bharu' },
    });
    const byId = await api.call('GET', `/v1/campaigns/${id}/preview?contact=${p.body.contactId}`, { key: a.apiKey });
    expect(byId.body.firstMessage).toBe(p.body.firstMessage);
    const second = await api.call('GET', `/v1/campaigns/${id}/preview?contact=0123000012`, { key: a.apiKey });
    expect(second.body.systemPrompt).toMatch(/Their city: unknown\.$/);
    expect((await api.call('GET', `/v1/campaigns/${id}/preview?contact=%2B60199999999`, { key: a.apiKey })).status).toBe(404);
    const stranger = await account();
    expect(
      (await api.call('GET', `/v1/campaigns/${id}/preview?contact=${p.body.contactId}`, { key: stranger.apiKey })).status,
    ).toBe(404);
  });

  it('refuses bad placeholders at creation, and a start without disclosure or with contacts missing variables', async () => {
    const a = await account();
    const bad = await api.call('POST', '/v1/campaigns', {
      key: a.apiKey,
      body: { name: 'x', agent: agent({ firstMessage: 'Hi {{first name}}' }) },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/agent\.firstMessage: .*placeholder is \{\{name\}\}/);

    const quiet = await api.call('POST', '/v1/campaigns', {
      key: a.apiKey,
      body: {
        name: 'x',
        agent: agent({ firstMessage: 'Hello {{name}}!' }),
        contacts: [{ phone: '+60123000021', name: 'Ali', variables: { policy: 'P' } }],
      },
    });
    expect(quiet.status, quiet.text).toBe(201);
    const start = await api.call('POST', `/v1/campaigns/${quiet.body.campaign.id}/start`, { key: a.apiKey });
    expect(start.status).toBe(400);
    expect(start.body).toMatchObject({ error: 'disclosure_missing', details: { missing: ['who', 'why'] } });
    expect(start.body.message).toMatch(/must say who is calling and why/);

    // contacts stored before the check existed (or by another path) are checked at start too
    const ok = await api.call('POST', '/v1/campaigns', {
      key: a.apiKey,
      body: { name: 'x', agent: agent(), contacts: [{ phone: '+60123000022', name: 'Ali', variables: { policy: 'P' } }] },
    });
    await ctx.sql`insert into contacts (campaign_id, account_id, seq, phone_e164, name, variables) values (${ok.body.campaign.id}, ${a.id}, 2, '+60123000023', 'Abu', '{}')`;
    const s2 = await api.call('POST', `/v1/campaigns/${ok.body.campaign.id}/start`, { key: a.apiKey });
    expect(s2.status).toBe(400);
    expect(s2.body).toMatchObject({
      error: 'missing_variables',
      details: [{ contact: 2, phone: '+60123000023', missing: ['policy'] }],
    });
    const [row] = await ctx.sql<{ status: string }[]>`select status from campaigns where id = ${ok.body.campaign.id}`;
    expect(row!.status).toBe('draft');
  });
});
