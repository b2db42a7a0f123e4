/** `suivi-balf purge --older-than <jours> [--dry-run]`: removes per-message records past retention. */
import { parseArgs } from 'node:util';
import { parseRetentionDays, RetentionSettingError } from '../retention/horizon.ts';
import { purgeOlderThan, type PurgeReport } from '../retention/purge.ts';
import { UsageError, withDatabase, type Io } from './support.ts';

export async function purgeCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      'older-than': { type: 'string' },
      db: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`Argument inattendu : ${positionals.join(' ')}`);
  const raw = values['older-than'];
  if (raw === undefined)
    throw new UsageError('Option --older-than <jours> obligatoire (par exemple --older-than 730).');
  let days: number;
  try {
    days = parseRetentionDays(raw, '--older-than');
  } catch (e) {
    if (e instanceof RetentionSettingError) throw new UsageError(e.message);
    throw e;
  }
  const dryRun = values['dry-run'] === true;
  const report = await withDatabase(values.db, io, (open) => purgeOlderThan(open.db, { days, dryRun }));
  io.out(describe(report));
  return 0;
}

export function describe(r: PurgeReport): string {
  // Past participle agreed with each noun (masculine / feminine plural).
  const m = r.dryRun ? 'seraient supprimés' : 'supprimés';
  const f = r.dryRun ? 'seraient supprimées' : 'supprimées';
  const range = r.firstDay && r.lastDay ? ` (jours du ${r.firstDay} au ${r.lastDay}, ${r.balfs} BALF)` : '';
  return [
    `${r.dryRun ? 'Simulation (--dry-run), rien n’est modifié. ' : ''}Conservation à partir du ${r.horizon} :`,
    `  enregistrements par message ${m} : ${r.records}${range}`,
    `  références de réponse ${f} : ${r.refs}`,
    `  entrées du journal des lots ${f} : ${r.batches}`,
    `  résumés de sondage ${m} : ${r.spotChecks}`,
    `  sessions expirées ${f} : ${r.sessions}`,
    `  relevés de quota ${m} : ${r.storageReadings}`,
    'Les cumuls quotidiens sont conservés : le tableau de bord garde l’historique.',
    '',
  ].join('\n');
}
