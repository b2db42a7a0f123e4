/** Zod schemas of the directory listing, preview and import answers, for the OpenAPI document. */
import { z } from 'zod';

const renamed = z.object({ code: z.string(), from: z.string(), to: z.string() });
const history = z
  .object({ firstDay: z.string(), lastDay: z.string(), messages: z.number().int() })
  .nullable();
const encoding = z.enum(['utf-8', 'utf-16le', 'utf-16be', 'windows-1252']);

export const directoryListing = z.object({
  departments: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      region: z.string(),
      services: z.array(
        z.object({
          code: z.string(),
          name: z.string(),
          kind: z.string(),
          region: z.string(),
          balfs: z.array(z.string()),
        }),
      ),
    }),
  ),
});

export const directoryPreview = z.object({
  encoding,
  encodingLabel: z.string(),
  rows: z.object({ departments: z.number().int(), services: z.number().int(), balfs: z.number().int() }),
  changes: z.object({
    departments: z.object({
      added: z.array(z.object({ code: z.string(), name: z.string(), region: z.string() })),
      renamed: z.array(renamed),
      regionChanged: z.array(renamed),
    }),
    services: z.object({
      added: z.array(
        z.object({ code: z.string(), name: z.string(), kind: z.string(), departmentCode: z.string() }),
      ),
      renamed: z.array(renamed),
      moved: z.array(z.object({ code: z.string(), name: z.string(), from: z.string(), to: z.string() })),
      kindChanged: z.array(renamed),
      regionChanged: z.array(renamed),
    }),
    balfs: z.object({
      added: z.array(z.object({ address: z.string(), serviceCode: z.string(), history })),
      moved: z.array(z.object({ address: z.string(), from: z.string(), to: z.string(), history })),
    }),
    unchanged: z.object({
      departments: z.number().int(),
      services: z.number().int(),
      balfs: z.number().int(),
    }),
    absentBalfs: z.number().int(),
    fingerprint: z.string(),
  }),
});

export const importQuery = z.object({
  expect: z
    .string()
    .max(200)
    .optional()
    .describe('empreinte de l’aperçu : refus (409) si l’annuaire a changé depuis'),
});

export const importResult = z.object({
  departments: z.number().int(),
  services: z.number().int(),
  balfs: z.number().int(),
  encoding,
});
