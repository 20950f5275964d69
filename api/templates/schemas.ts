import { z } from 'zod';

/** GET /v1/campaigns/:id/preview: which contact to render the agent for. */
export const PreviewQuerySchema = z
  .object({
    /** The contact's id, or its phone number (E.164; other forms are read with the campaign's default region). */
    contact: z.string().min(1).max(64),
  })
  .strict();
