/** Stores a spot-check summary (route and quarantine release alike); a second copy of an id is ignored. */
import type { SpotCheckSummary } from '../../core/protocol.ts';
import type { Db } from '../db/schema.ts';

export async function insertSpotCheck(
  db: Db,
  s: SpotCheckSummary,
  tokenId: string,
  now: Date,
): Promise<void> {
  await db
    .insertInto('spot_checks')
    .values({
      id: s.id,
      balf: s.balf,
      token_id: tokenId,
      from_day: s.from,
      to_day: s.to,
      done_at: new Date(s.doneAt).toISOString(),
      seed: s.seed,
      target_id: s.target.id,
      target_days: s.target.workingDays,
      population: s.population,
      sample_size: s.sampleSize,
      conforme: s.verdicts.conforme,
      non_conforme: s.verdicts.non_conforme,
      sans_objet: s.verdicts.sans_objet,
      auto_in_time: s.automatic.answered_in_time,
      auto_late: s.automatic.answered_late,
      auto_pending: s.automatic.pending,
      auto_overdue: s.automatic.overdue,
      disagreements: s.disagreements,
      created_at: now.toISOString(),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}
