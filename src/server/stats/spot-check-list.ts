/** Spot-check summaries of a stats subject over a period, with their 95 % Wilson interval (API list and CSV). */
import { sql } from 'kysely';
import { wilsonInterval } from '../../core/sampling.ts';
import type { Db, SpotCheckTable } from '../db/schema.ts';
import type { Subject } from './subject.ts';

export interface ListedSpotCheck {
  id: string;
  balf: string;
  from: string;
  to: string;
  doneAt: string;
  target: { id: string; workingDays: number };
  population: number;
  sampleSize: number;
  verdicts: { conforme: number; non_conforme: number; sans_objet: number };
  /** The automatic statuses of the sampled messages, as the add-on computed them. */
  automatic: { answered_in_time: number; answered_late: number; pending: number; overdue: number };
  disagreements: number;
  /** Share of conforme among decided verdicts (sans objet excluded). */
  rate: number | null;
  interval: { lower: number; upper: number } | null;
}

/** Spot-checks whose sampled period overlaps [from, to], newest first. */
export async function listSpotChecks(
  db: Db,
  subject: Subject,
  from: string,
  to: string,
): Promise<ListedSpotCheck[]> {
  const rows = await sql<SpotCheckTable>`
    select f.* from spot_checks f
    left join balfs b on b.address = f.balf
    left join services s on s.code = b.service_code
    where f.from_day <= ${to} and f.to_day >= ${from} and ${subject.where}
    order by f.done_at desc, f.id`.execute(db);
  return rows.rows.map((r) => {
    const conforme = Number(r.conforme);
    const decided = conforme + Number(r.non_conforme);
    const interval = decided > 0 ? wilsonInterval(conforme, decided) : null;
    return {
      id: r.id,
      balf: r.balf,
      from: r.from_day,
      to: r.to_day,
      doneAt: r.done_at,
      target: { id: r.target_id, workingDays: Number(r.target_days) },
      population: Number(r.population),
      sampleSize: Number(r.sample_size),
      verdicts: { conforme, non_conforme: Number(r.non_conforme), sans_objet: Number(r.sans_objet) },
      automatic: {
        answered_in_time: Number(r.auto_in_time),
        answered_late: Number(r.auto_late),
        pending: Number(r.auto_pending),
        overdue: Number(r.auto_overdue),
      },
      disagreements: Number(r.disagreements),
      rate: decided > 0 ? conforme / decided : null,
      interval: interval ? { lower: interval.lower, upper: interval.upper } : null,
    };
  });
}
