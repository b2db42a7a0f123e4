/** `calendar` subcommand: import declared days from CSV, list them, apply an overseas customs preset. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { customsPreset, isPresetRegion, presetRegions } from '../../core/overlay-presets.ts';
import { parseOverlayCsv } from '../calendar/import-csv.ts';
import { declareOverlays, listOverlays, recomputeScopes } from '../calendar/overlays.ts';
import { loadConfig } from '../config.ts';
import { UsageError, table, withDatabase, type Io } from './support.ts';

const USAGE =
  'Usage : suivi-balf calendar import <fichier.csv> | calendar list [--withdrawn] | ' +
  `calendar preset <${presetRegions.join('|')}> --years 2025,2026`;

/** Who the CLI records as author of its declarations. */
const CLI_AUTHOR = 'ligne de commande';

export async function calendarCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  const whitMondayWorked = loadConfig(io.env).whitMondayWorked;
  if (action === 'import') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { db: { type: 'string' } },
      allowPositionals: true,
    });
    const [file] = positionals;
    if (!file || positionals.length > 1) throw new UsageError(USAGE);
    let content: Buffer;
    try {
      content = await readFile(file);
    } catch (e) {
      io.err(`Lecture impossible de ${file} : ${(e as Error).message}\n`);
      return 1;
    }
    return withDatabase(values.db, io, async ({ db }) => {
      const parsed = await parseOverlayCsv(db, content);
      if (!parsed.ok) {
        for (const e of parsed.errors) io.err(`${file}:${e.line}: ${e.message}\n`);
        io.err(`Fichier refusé : ${parsed.errors.length} ligne(s) en erreur, rien n’a été importé.\n`);
        return 1;
      }
      const stored = await declareOverlays(db, parsed.overlays, CLI_AUTHOR, new Date());
      const recomputed = await recomputeScopes(
        db,
        stored.map((o) => o.scope),
        { whitMondayWorked },
      );
      io.out(`${stored.length} jour(s) déclaré(s) ; délais recalculés pour ${recomputed} BALF.\n`);
      return 0;
    });
  }
  if (action === 'list') {
    const { values } = parseArgs({
      args: rest,
      options: { db: { type: 'string' }, withdrawn: { type: 'boolean' } },
    });
    const rows = await withDatabase(values.db, io, ({ db }) =>
      listOverlays(db, { withdrawn: values.withdrawn === true }),
    );
    io.out(
      table(
        ['jour', 'portée', 'état', 'libellé', 'source', 'retiré le'],
        rows.map((o) => [
          o.day,
          o.scope,
          o.state === 'closed' ? 'fermé' : 'ouvert',
          o.label,
          o.source,
          o.withdrawnAt ?? '',
        ]),
      ),
    );
    return 0;
  }
  if (action === 'preset') {
    const { values, positionals } = parseArgs({
      args: rest,
      options: { db: { type: 'string' }, years: { type: 'string' } },
      allowPositionals: true,
    });
    const [region] = positionals;
    if (!isPresetRegion(region) || positionals.length > 1 || !values.years) throw new UsageError(USAGE);
    const years = values.years.split(',').map((y) => Number(y.trim()));
    if (years.some((y) => !Number.isInteger(y) || y < 2000 || y > 2100))
      throw new UsageError(`Années invalides « ${values.years} » (2000 à 2100, séparées par des virgules).`);
    let entries;
    try {
      entries = years.flatMap((y) => customsPreset(region, y));
    } catch (e) {
      io.err(`${(e as Error).message}\n`);
      return 1;
    }
    return withDatabase(values.db, io, async ({ db }) => {
      await declareOverlays(db, entries, CLI_AUTHOR, new Date());
      const recomputed = await recomputeScopes(db, [`region:${region}`], { whitMondayWorked });
      io.out(
        `Préréglage ${region} appliqué : ${entries.length} jour(s) fermé(s) par usage ; délais recalculés pour ` +
          `${recomputed} BALF.\n`,
      );
      return 0;
    });
  }
  throw new UsageError(USAGE);
}
