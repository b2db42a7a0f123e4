/**
 * Drops the (day, balf) indexes of the BALF rollups. No query needs them any more: national figures
 * read the department rollups, department, service and BALF figures start from the directory and
 * read each BALF's days by primary key (balf, day, …), and unattached BALFs start from `balf_homes`
 * (src/server/stats/subject.ts). Each ingested batch paid for them: a batch spread over 25 days
 * rewrote 25 leaves of each index, a large share of the pages its commit wrote (figures:
 * docs/benchmarks.md, ingestion).
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.dropIndex('daily_flows_day').ifExists().execute();
  await db.schema.dropIndex('daily_replies_day').ifExists().execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.createIndex('daily_flows_day').on('daily_flows').columns(['day', 'balf']).execute();
  await db.schema.createIndex('daily_replies_day').on('daily_replies').columns(['day', 'balf']).execute();
}
