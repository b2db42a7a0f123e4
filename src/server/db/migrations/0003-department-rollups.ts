/**
 * Department-level daily rollups, so national queries read ~100 departments instead of thousands of
 * BALFs, and `balf_homes` (the department and region each BALF's counts are credited to).
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('department_daily_flows')
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('dir', 'text', (c) => c.notNull())
    .addColumn('cat', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('department_daily_flows_pk', ['day', 'department', 'dir', 'cat'])
    .execute();
  await db.schema
    .createTable('department_daily_replies')
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('delay', 'integer', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('department_daily_replies_pk', ['day', 'department', 'region', 'delay'])
    .execute();
  await db.schema
    .createTable('balf_homes')
    .addColumn('balf', 'text', (c) => c.primaryKey())
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .execute();

  // Existing data: credit every BALF to its current place in the directory.
  await sql`insert into balf_homes (balf, department, region)
    select x.balf, coalesce(s.department_code, 'unattached'), coalesce(s.region, d.region, 'metropole')
    from (select distinct balf from daily_flows) x
    left join balfs b on b.address = x.balf
    left join services s on s.code = b.service_code
    left join departments d on d.code = s.department_code`.execute(db);
  await sql`insert into department_daily_flows (department, day, dir, cat, count)
    select h.department, f.day, f.dir, f.cat, sum(f.count)
    from daily_flows f join balf_homes h on h.balf = f.balf
    group by h.department, f.day, f.dir, f.cat`.execute(db);
  await sql`insert into department_daily_replies (department, region, day, delay, count)
    select h.department, h.region, f.day, f.delay, sum(f.count)
    from daily_replies f join balf_homes h on h.balf = f.balf
    group by h.department, h.region, f.day, f.delay`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['balf_homes', 'department_daily_replies', 'department_daily_flows']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
