// The ingest measure of bench:server checks what the server stored after the HTTP run, and fails otherwise.
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenDb } from '../../src/server/db/connect.ts';
import { checkIngested, ingestBatches, ingestOverHttp } from '../../scripts/bench/ingest-http.ts';
import { databaseKinds, openTestDb } from '../server/support.ts';

describe.each(databaseKinds)('bench:server ingest check on %s', (kind) => {
  let opened: OpenDb | undefined;
  afterEach(async () => opened?.close());

  it('passes on what the HTTP run stored, and names what is missing once a record is lost', async () => {
    opened = await openTestDb(kind);
    const batches = ingestBatches(4000, 500);
    const run = await ingestOverHttp(opened, batches, { concurrency: 2 });
    expect(run.answers).toEqual({ accepted: 4000, duplicates: 0, rejected: 0 });
    expect(await checkIngested(opened.db, batches, run.answers)).toMatch(/^4000 enregistrements/);

    const lost = batches[3]!.records[0]!.k;
    await sql`delete from records where key = ${lost}`.execute(opened.db);
    await expect(checkIngested(opened.db, batches, run.answers)).rejects.toThrow(
      /enregistrements attendu 4000, obtenu 3999 ; clés distinctes attendu 4000, obtenu 3999/,
    );
  });
});
