import { z } from 'zod';

/** Request bodies and queries of the do-not-call routes (the OpenAPI document is generated from these). */
const region = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 region such as MY');

export const AddSuppressionsSchema = z
  .object({
    numbers: z
      .array(
        z
          .object({
            phone: z.string().max(40),
            reason: z.string().max(500).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(50_000),
    /** Region for numbers written without a country code; default MY. */
    defaultRegion: region.default('MY'),
  })
  .strict();

/** Query of a CSV import (POST with text/csv: a phone column, optionally reason). */
export const ImportSuppressionsQuerySchema = z.object({ defaultRegion: region.default('MY') }).strict();

export const SuppressionsQuerySchema = z
  .object({
    source: z.enum(['opt_out', 'manual', 'import']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const RemoveSuppressionQuerySchema = z
  .object({
    /** Removing a callee's own opt-out needs `force=true`: it was the callee's request, not the account's. */
    force: z.enum(['true', 'false']).default('false'),
  })
  .strict();
