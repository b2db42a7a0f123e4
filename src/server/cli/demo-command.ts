/** `suivi-balf demo`: fills the database with demo data and creates a first national user. */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { addUser } from '../auth/users.ts';
import { loadConfig } from '../config.ts';
import { runDemo } from '../demo/run-demo.ts';
import { UsageError, withDatabase, type Io } from './support.ts';

export async function demoCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      db: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      until: { type: 'string' },
      user: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`Argument inattendu : ${positionals.join(' ')}`);
  const days = Number(values.days ?? '365');
  if (!Number.isInteger(days) || days < 1 || days > 3660)
    throw new UsageError(`--days invalide « ${values.days} » (1 à 3660).`);
  if (values.until !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.until)) {
    throw new UsageError(`--until invalide « ${values.until} » (AAAA-MM-JJ).`);
  }
  const config = loadConfig(io.env);
  const started = Date.now();
  const login = values.user ?? 'admin';
  return withDatabase(values.db, io, async ({ db }) => {
    const summary = await runDemo(db, {
      days,
      seed: values.seed ?? 'suivi-balf',
      now: new Date(),
      whitMondayWorked: config.whitMondayWorked,
      ...(values.until ? { until: values.until } : {}),
      onProgress: (done, total) => {
        if (done === total || done % 5 === 0) io.err(`Démo : ${done}/${total} BALF générées et envoyées…\n`);
      },
    });
    const cats = Object.entries(summary.byCategory)
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    io.out(
      `Données de démonstration du ${summary.from} au ${summary.to} :\n` +
        `  ${summary.departments} départements, ${summary.services} services, ${summary.balfs} BALF rattachées + ${summary.unattachedBalfs} non rattachée\n` +
        `  ${summary.records} messages (${cats})\n` +
        `  ${summary.clients} postes simulés, ${summary.batches} lots : ${summary.accepted} enregistrements acceptés, ${summary.duplicates} doublons écartés\n` +
        `  ${summary.storageSamples} relevés de quota (stockage des BALF)\n` +
        `  en ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const existing = await db
      .selectFrom('users')
      .select('login')
      .where('login', '=', login)
      .executeTakeFirst();
    if (existing) {
      io.out(`L’utilisateur ${login} existe déjà : son mot de passe est inchangé.\n`);
    } else {
      const password = randomBytes(15).toString('base64url');
      await addUser(db, { login, password, scope: { level: 'national' } });
      io.out(
        `Utilisateur national créé — identifiant : ${login}  mot de passe : ${password}\n(affiché une seule fois)\n`,
      );
    }
    return 0;
  });
}
