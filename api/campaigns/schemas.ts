import { z } from 'zod';
import { checkAgentTemplates } from '../../lib/templates';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');
const isTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

export const AgentSchema = z
  .object({
    systemPrompt: z.string().min(1).max(20_000),
    firstMessage: z.string().min(1).max(2_000),
    language: z.string().regex(/^[a-z]{2,3}-[A-Z]{2}$/, 'must be a BCP-47 tag such as ms-MY or en-US'),
    voiceId: z.string().min(1).max(100),
    llmModel: z.string().min(1).max(200),
    fallbackModels: z.array(z.string().min(1).max(200)).max(5).optional(),
    ttsModel: z.string().max(100).optional(),
    voicemailMessage: z.string().max(2_000).optional(),
    transferNumber: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be E.164')
      .optional(),
    outcomes: z.array(z.string().min(1).max(50)).max(20).optional(),
    silenceTimeoutSec: z.number().int().min(3).max(120).optional(),
    /** Recording is on unless `enabled` is false; `notice` (e.g. "This call is recorded.") is spoken before the first message. */
    recording: z
      .object({ enabled: z.boolean().default(true), notice: z.string().trim().min(1).max(500).optional() })
      .strict()
      .optional(),
  })
  .strict();

export const CallingWindowSchema = z
  .object({
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Asia/Kuala_Lumpur'),
    start: hhmm,
    end: hhmm,
    weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7),
  })
  .strict()
  .refine((w) => w.start < w.end, { message: 'start must be before end', path: ['end'] });

export const SettingsSchema = z
  .object({
    maxConcurrentCalls: z.number().int().min(1).max(200).default(5),
    callingWindow: CallingWindowSchema.optional(),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(10).default(3),
        backoffSec: z
          .number()
          .int()
          .min(1)
          .max(7 * 86_400)
          .default(1_800),
        retryOn: z.array(z.enum(['no_answer', 'busy', 'failed', 'voicemail'])).default(['no_answer', 'busy']),
      })
      .strict()
      .default({ maxAttempts: 3, backoffSec: 1_800, retryOn: ['no_answer', 'busy'] }),
    maxDurationSec: z.number().int().min(10).max(3_600).default(300),
    ringTimeoutSec: z.number().int().min(5).max(120).default(30),
    voicemailPolicy: z.enum(['hangup', 'leave_message']).default('hangup'),
  })
  .strict();

export const ContactSchema = z
  .object({
    phone: z.string().max(40),
    name: z.string().max(200).optional(),
    variables: z.record(z.string().max(64), z.string().max(1_000)).optional(),
  })
  .strict();

export const NewCampaignSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    agent: AgentSchema,
    settings: SettingsSchema.default(SettingsSchema.parse({})),
    /** ISO 3166 region for numbers written without a country code. */
    defaultRegion: z
      .string()
      .regex(/^[A-Z]{2}$/)
      .default('MY'),
    contacts: z.array(ContactSchema).max(50_000).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const e of checkAgentTemplates(c.agent)) ctx.addIssue({ code: 'custom', path: e.field.split('.'), message: e.message });
    if (c.settings.voicemailPolicy === 'leave_message' && !c.agent.voicemailMessage) {
      ctx.addIssue({
        code: 'custom',
        path: ['agent', 'voicemailMessage'],
        message: 'required when settings.voicemailPolicy is leave_message',
      });
    }
  });

export const ContactsUploadSchema = z.object({ contacts: z.array(ContactSchema).min(1).max(50_000) }).strict();

export const CallsQuerySchema = z
  .object({
    status: z
      .string()
      .regex(/^[a-z_]{1,30}$/)
      .optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const PauseSchema = z.object({ reason: z.string().max(200).optional() }).strict();
