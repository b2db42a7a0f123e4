/** zod schemas of a calendar declaration, shared by the API and the CSV import. */
import { z } from 'zod';
import { MAX_YEAR, MIN_YEAR, parseOverlayScope } from '../../core/calendar.ts';

export const day = z.iso.date({ message: 'date invalide (AAAA-MM-JJ attendu)' }).refine(
  (d) => {
    const y = Number(d.slice(0, 4));
    return y >= MIN_YEAR && y <= MAX_YEAR;
  },
  { message: `année hors du calendrier (${MIN_YEAR}–${MAX_YEAR})` },
);
const scope = z
  .string()
  .max(80)
  .refine(
    (s) => {
      try {
        parseOverlayScope(s);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'portée attendue : nation, region:<région>, department:<code> ou service:<code>' },
  );
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { message: 'caractères de contrôle refusés' });

export const overlayInput = z
  .object({
    scope,
    day,
    state: z.enum(['closed', 'open']),
    label: text(120),
    source: text(300),
  })
  .strict();
