import { z } from 'zod';
import {
  AgentSchema,
  CallsQuerySchema,
  ContactsUploadSchema,
  NewCampaignSchema,
  PauseSchema,
  SettingsSchema,
} from '../campaigns/schemas';
import { IdPath, Instant, Micro, type Operation } from './common';

/** Campaigns and calls: what the routes in api/routes/campaigns.ts return. */

const AgentOut = AgentSchema.meta({ id: 'Agent' });
const SettingsOut = SettingsSchema.extend({
  defaultRegion: z.string().optional().meta({ description: 'ISO 3166 region for numbers written without a country code.' }),
}).meta({ id: 'Settings' });

export const CampaignSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: z.string().meta({
      description: '`draft`, `running`, `paused`, `canceling`, `completed`, `canceled` or `failed`.',
      example: 'running',
    }),
    pauseReason: z.string().nullable(),
    agent: AgentOut,
    settings: SettingsOut,
    contactCount: z.number().int(),
    createdAt: Instant,
    startedAt: Instant.nullable(),
    finishedAt: Instant.nullable(),
  })
  .meta({ id: 'Campaign' });
export type Campaign = z.infer<typeof CampaignSchema>;

export const CampaignDetailSchema = CampaignSchema.extend({
  progress: z.object({
    contacts: z.record(z.string(), z.number().int()).meta({ description: 'Contacts by state (pending, dialing, done, …).' }),
    calls: z.record(z.string(), z.number().int()).meta({ description: 'Call attempts by status.' }),
    inProgress: z.number().int().meta({ description: 'Calls not yet ended.' }),
  }),
  spend: z.object({ chargedMicro: Micro, providerCostMicro: Micro, billedSeconds: z.number().int() }),
}).meta({ id: 'CampaignDetail' });
export type CampaignDetail = z.infer<typeof CampaignDetailSchema>;

export const ContactReportSchema = z
  .object({
    accepted: z.number().int().meta({ description: 'Contacts added.' }),
    duplicates: z.array(
      z.object({
        line: z.number().int(),
        phone: z.string(),
        duplicateOfLine: z
          .number()
          .int()
          .nullable()
          .meta({ description: 'The line of this upload it repeats; null when the campaign already had the number.' }),
      }),
    ),
    invalid: z.array(z.object({ line: z.number().int(), phone: z.string(), reason: z.string() })),
    suppressed: z
      .array(z.object({ line: z.number().int(), phone: z.string(), source: z.enum(['opt_out', 'manual', 'import']) }))
      .meta({
        description:
          'Accepted contacts whose numbers are on a do-not-call list now: they stay in the campaign (the list may change), and are not dialed while listed (the call ends `suppressed`).',
      }),
  })
  .meta({
    id: 'ContactReport',
    description:
      'What happened to each row: added, a duplicate, or invalid with the reason, by line (1-based; CSV lines after the header).',
  });
export type ContactReport = z.infer<typeof ContactReportSchema>;

export const CampaignCreatedSchema = z
  .object({ campaign: CampaignSchema, contacts: ContactReportSchema })
  .meta({ id: 'CampaignCreated' });
export const CampaignListSchema = z.object({ campaigns: z.array(CampaignSchema) }).meta({ id: 'CampaignList' });
export const CampaignControlSchema = z
  .object({
    status: z.string().meta({ example: 'paused' }),
    pauseReason: z.string().nullable(),
  })
  .meta({ id: 'CampaignControlResult' });

export const CallListItemSchema = z
  .object({
    id: z.uuid(),
    to: z.string().meta({ description: 'E.164', example: '+60123456789' }),
    status: z.string().meta({ example: 'completed' }),
    attempt: z.number().int(),
    contactId: z.uuid().nullable(),
    durationSec: z.number().int().nullable(),
    chargedMicro: Micro.nullable(),
    createdAt: Instant,
  })
  .meta({ id: 'CallListItem' });
export const CallPageSchema = z
  .object({
    calls: z.array(CallListItemSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
  })
  .meta({ id: 'CallPage' });

export const CallCostSchema = z
  .object({
    priceListVersion: z.string(),
    azureSttCost: Micro,
    llmCost: Micro,
    ttsCost: Micro,
    twilioCost: Micro,
    totalProviderCost: Micro,
    chargedAmount: Micro,
    profitMargin: Micro.meta({ description: 'chargedAmount - totalProviderCost (an amount, not a ratio).' }),
    usage: z.object({
      sttAudioMs: z.number().int(),
      promptTokens: z.number().int(),
      completionTokens: z.number().int(),
      ttsCharacters: z.number().int(),
      billedSeconds: z.number().int(),
    }),
  })
  .meta({ id: 'CallCost', description: "The call's cost breakdown (call_costs), in micro-units." });

export const TranscriptTurnSchema = z
  .object({
    seq: z.number().int(),
    role: z.enum(['agent', 'caller', 'system']),
    text: z.string(),
    interrupted: z.boolean(),
    atMs: z.number().int().nullable().meta({ description: 'When the turn started, ms after the media stream started.' }),
    latency: z.record(z.string(), z.number()).nullable().meta({
      description:
        "Agent turns: ms from the caller's end of speech to each stage (sttFinalMs, llmFirstTokenMs, firstClauseMs, ttsFirstByteMs, firstFrameMs).",
    }),
  })
  .meta({ id: 'TranscriptTurn' });

export const CallSchema = z
  .object({
    id: z.uuid(),
    campaignId: z.uuid().nullable(),
    contactId: z.uuid().nullable(),
    attempt: z.number().int(),
    to: z.string(),
    status: z.string().meta({
      description:
        'Live: validating, holding, dialing, in_progress. Ended: completed, no_answer, busy, failed, voicemail, canceled, invalid_number, insufficient_credit, …',
      example: 'completed',
    }),
    terminal: z.boolean(),
    providerCallSid: z.string().nullable().meta({ description: 'Twilio CallSid' }),
    answeredBy: z.string().nullable().meta({ description: 'From answering-machine detection: human, machine_start, …' }),
    outcome: z
      .object({
        result: z.string(),
        notes: z.string().optional(),
        callbackAt: z.string().optional(),
        data: z.record(z.string(), z.unknown()).optional(),
      })
      .nullable(),
    error: z.string().nullable(),
    endReason: z.string().nullable().meta({
      description:
        'Why the call ended when it was not a normal hang-up: max_duration, machine, canceled, abandoned, or media_<reason> (e.g. media_error, media_end_call); null for a normal end.',
      example: null,
    }),
    createdAt: Instant,
    answeredAt: Instant.nullable(),
    endedAt: Instant.nullable(),
    durationSec: z.number().int().nullable(),
    cost: CallCostSchema.nullable().meta({ description: 'null until the call has settled.' }),
    transcript: z.array(TranscriptTurnSchema),
    analysis: z
      .object({
        status: z.enum(['ok', 'invalid', 'failed']).meta({
          description: 'ok: fields validated; invalid: the model answered but not to the schema (raw kept); failed: no answer',
        }),
        summary: z.string().nullable(),
        fields: z.record(z.string(), z.unknown()).nullable(),
        raw: z.string().nullable(),
        error: z.string().nullable(),
        model: z.string().nullable(),
        usage: z.object({
          requests: z.number().int(),
          promptTokens: z.number().int(),
          completionTokens: z.number().int(),
          reportedCostMicro: z.number().int().nullable(),
        }),
        updatedAt: Instant,
      })
      .nullable()
      .meta({
        description:
          "Post-call analysis (the campaign's summary and fields), null when the campaign asks for none or it has not run yet.",
      }),
    recording: z
      .object({
        status: z.enum(['recording', 'stored', 'failed', 'deleted']),
        available: z.boolean(),
        bytes: z.number().int().nullable(),
        durationMs: z.number().int().nullable(),
        error: z.string().nullable().optional(),
        deletedAt: Instant.optional(),
        url: z.string().nullable().meta({ description: 'GET it (HTTP range requests supported) while the recording is stored.' }),
      })
      .nullable()
      .meta({ description: 'The call recording (stereo WAV, left caller, right agent), null when none was made.' }),
  })
  .meta({ id: 'Call' });
export type Call = z.infer<typeof CallSchema>;

const exampleAgent = {
  systemPrompt: 'You are Aina from Acme Insurance, calling to remind customers their policy renews next week.',
  firstMessage: 'Hello, this is Aina from Acme Insurance. Is this a good time?',
  language: 'en-US',
  voiceId: 'EXAVITQu4vr4xnSDxMaL',
  llmModel: 'openai/gpt-4o-mini',
};
const exampleSettings = {
  maxConcurrentCalls: 5,
  retry: { maxAttempts: 3, backoffSec: 1800, retryOn: ['no_answer', 'busy'] },
  maxDurationSec: 300,
  ringTimeoutSec: 30,
  voicemailPolicy: 'hangup',
  defaultRegion: 'MY',
};
const exampleCampaign = {
  id: '5b0c6f7e-2d1a-4c1e-9a77-0f3f2b4d8e61',
  name: 'December renewals',
  status: 'draft',
  pauseReason: null,
  agent: exampleAgent,
  settings: exampleSettings,
  contactCount: 1,
  createdAt: '2026-12-05T01:23:45.678Z',
  startedAt: null,
  finishedAt: null,
};
const exampleReport: ContactReport = {
  accepted: 2,
  duplicates: [{ line: 2, phone: '+60123456789', duplicateOfLine: 1 }],
  invalid: [{ line: 3, phone: '123', reason: 'too short' }],
  suppressed: [{ line: 4, phone: '+60123456780', source: 'opt_out' }],
};
const exampleCall = {
  id: '9d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b',
  campaignId: exampleCampaign.id,
  contactId: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
  attempt: 1,
  to: '+60123456789',
  status: 'completed',
  terminal: true,
  providerCallSid: 'CA0123456789abcdef0123456789abcdef',
  answeredBy: 'human',
  outcome: { result: 'interested', notes: 'wants the premium plan' },
  error: null,
  endReason: null,
  createdAt: '2026-12-05T01:24:00.000Z',
  answeredAt: '2026-12-05T01:24:08.000Z',
  endedAt: '2026-12-05T01:25:02.000Z',
  durationSec: 54,
  cost: {
    priceListVersion: '2026-11',
    azureSttCost: 9000,
    llmCost: 1200,
    ttsCost: 18000,
    twilioCost: 12750,
    totalProviderCost: 40950,
    chargedAmount: 225000,
    profitMargin: 184050,
    usage: { sttAudioMs: 54000, promptTokens: 1800, completionTokens: 240, ttsCharacters: 600, billedSeconds: 54 },
  },
  transcript: [
    {
      seq: 1,
      role: 'agent',
      text: 'Hello, this is Aina from Acme Insurance. Is this a good time?',
      interrupted: false,
      atMs: 0,
      latency: null,
    },
    { seq: 2, role: 'caller', text: 'Yes, go ahead.', interrupted: false, atMs: 4200, latency: null },
    {
      seq: 3,
      role: 'agent',
      text: 'Your policy renews on the twelfth.',
      interrupted: false,
      atMs: 6100,
      latency: { sttFinalMs: 310, llmFirstTokenMs: 420, firstFrameMs: 690 },
    },
  ],
  analysis: {
    status: 'ok',
    summary: 'The customer will renew on the gold plan and asked for the premium add-on.',
    fields: { interest: 'high', callback_at: null },
    raw: null,
    error: null,
    model: 'openai/gpt-4o-mini',
    usage: { requests: 1, promptTokens: 900, completionTokens: 60, reportedCostMicro: 180 },
    updatedAt: '2026-12-05T01:25:06.000Z',
  },
  recording: {
    status: 'stored',
    available: true,
    bytes: 1728044,
    durationMs: 54000,
    url: '/v1/calls/9d1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b/recording',
  },
} satisfies Call;

export const campaignOperations: Operation[] = [
  {
    method: 'post',
    path: '/v1/campaigns',
    operationId: 'createCampaign',
    tag: 'campaigns',
    auth: 'client',
    idempotent: true,
    summary: 'Create a campaign',
    description:
      'A draft campaign with its agent and settings; contacts may come inline (or later, as CSV or JSON). Numbers are normalised to E.164; duplicates and invalid rows are reported by line.',
    body: {
      schema: NewCampaignSchema,
      example: {
        name: 'December renewals',
        agent: exampleAgent,
        settings: { maxConcurrentCalls: 5 },
        defaultRegion: 'MY',
        contacts: [{ phone: '012-345 6789', name: 'Aminah', variables: { plan: 'gold' } }],
      },
    },
    ok: {
      status: 201,
      description: 'The campaign and what became of each contact.',
      schema: CampaignCreatedSchema,
      example: { campaign: exampleCampaign, contacts: { accepted: 1, duplicates: [], invalid: [], suppressed: [] } },
    },
  },
  {
    method: 'get',
    path: '/v1/campaigns',
    operationId: 'listCampaigns',
    tag: 'campaigns',
    auth: 'client',
    summary: 'List campaigns (newest first, at most 200)',
    ok: {
      status: 200,
      description: "The account's campaigns.",
      schema: CampaignListSchema,
      example: { campaigns: [exampleCampaign] },
    },
  },
  {
    method: 'get',
    path: '/v1/campaigns/{id}',
    operationId: 'getCampaign',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    summary: 'A campaign with its progress and spend',
    ok: {
      status: 200,
      description: 'The campaign.',
      schema: CampaignDetailSchema,
      example: {
        ...exampleCampaign,
        status: 'running',
        progress: { contacts: { pending: 10, done: 2 }, calls: { completed: 2 }, inProgress: 1 },
        spend: { chargedMicro: 450000, providerCostMicro: 81900, billedSeconds: 108 },
      },
    },
    errors: { 404: 'No such campaign in this account.' },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/contacts',
    operationId: 'addCampaignContacts',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    idempotent: true,
    summary: 'Add contacts to a draft campaign (CSV or JSON)',
    description:
      'CSV (`text/csv`; `application/vnd.ms-excel`, `application/octet-stream` and `text/plain` are read as CSV too, as browsers label .csv files so on some systems) with a header row: a `phone` column, optionally `name`, and any other column becomes a variable. Or JSON `{ contacts: [...] }`.',
    body: {
      schema: ContactsUploadSchema,
      example: { contacts: [{ phone: '+60123456789', name: 'Aminah' }, { phone: '0123456789' }, { phone: '123' }] },
      csv: {
        example: 'phone,name,plan\n+60123456789,Aminah,gold\n0123456789,Ali,silver\n',
        description: 'A header row, then one contact per line.',
      },
    },
    ok: { status: 200, description: 'What became of each row.', schema: ContactReportSchema, example: exampleReport },
    errors: {
      404: 'No such campaign in this account.',
      409: 'The campaign has started: contacts go to a draft only.',
      415: 'The body is neither JSON nor CSV.',
    },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/start',
    operationId: 'startCampaign',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    summary: 'Start dialing',
    description: 'Starting a campaign that is already running (or finished) changes nothing and answers 200 with its status.',
    ok: {
      status: 202,
      description: 'Dialing has started.',
      schema: CampaignControlSchema,
      example: { status: 'running', pauseReason: null },
      also: { 200: 'The campaign had already been started: nothing changed; its status now.' },
    },
    errors: { 404: 'No such campaign in this account.' },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/pause',
    operationId: 'pauseCampaign',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    summary: 'Pause dialing (calls in flight finish)',
    body: { schema: PauseSchema, example: { reason: 'holiday' }, required: false },
    ok: {
      status: 200,
      description: "The campaign's status now.",
      schema: CampaignControlSchema,
      example: { status: 'paused', pauseReason: 'holiday' },
    },
    errors: {
      404: 'No such campaign in this account.',
      409: 'A draft, completed or canceled campaign cannot be paused; `status` says which.',
    },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/resume',
    operationId: 'resumeCampaign',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    summary: 'Resume dialing',
    ok: {
      status: 200,
      description: "The campaign's status now.",
      schema: CampaignControlSchema,
      example: { status: 'running', pauseReason: null },
    },
    errors: {
      404: 'No such campaign in this account.',
      409: 'A draft, completed or canceled campaign cannot be resumed; `status` says which.',
    },
  },
  {
    method: 'post',
    path: '/v1/campaigns/{id}/cancel',
    operationId: 'cancelCampaign',
    tag: 'campaigns',
    auth: 'client',
    params: IdPath,
    summary: 'Stop dialing; calls in flight finish and settle',
    ok: {
      status: 200,
      description: "The campaign's status now.",
      schema: CampaignControlSchema,
      example: { status: 'canceling', pauseReason: null },
    },
    errors: {
      404: 'No such campaign in this account.',
      409: 'A draft, completed or canceled campaign cannot be canceled; `status` says which.',
    },
  },
  {
    method: 'get',
    path: '/v1/campaigns/{id}/calls',
    operationId: 'listCampaignCalls',
    tag: 'calls',
    auth: 'client',
    params: IdPath,
    query: CallsQuerySchema,
    summary: "The campaign's call attempts, oldest first, paginated",
    ok: {
      status: 200,
      description: 'A page of calls.',
      schema: CallPageSchema,
      example: {
        calls: [
          {
            id: exampleCall.id,
            to: exampleCall.to,
            status: 'completed',
            attempt: 1,
            contactId: exampleCall.contactId,
            durationSec: 54,
            chargedMicro: 225000,
            createdAt: exampleCall.createdAt,
          },
        ],
        nextCursor: null,
      },
    },
    errors: { 404: 'No such campaign in this account.' },
  },
  {
    method: 'get',
    path: '/v1/calls/{id}',
    operationId: 'getCall',
    tag: 'calls',
    auth: 'client',
    params: IdPath,
    summary: 'A call: status, Twilio CallSid, cost breakdown, transcript and outcome',
    ok: { status: 200, description: 'The call.', schema: CallSchema, example: exampleCall },
    errors: { 404: 'No such call in this account.' },
  },
];
