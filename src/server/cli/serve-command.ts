/** `suivi-balf serve`: runs the server until SIGTERM or SIGINT, then stops cleanly. */
import { parseArgs } from 'node:util';
import { parsePublicUrl } from '../config.ts';
import { dbTargetFrom } from '../db/connect.ts';
import { retentionDaysFromEnv } from '../retention/horizon.ts';
import { createLogger, startServer } from '../server.ts';
import { UsageError, type Io } from './support.ts';

/** A repeated signal within this delay after the first is a forwarded copy, not "stop now". */
const REPEAT_WINDOW_MS = 2000;

export async function serveCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      db: { type: 'string' },
      'public-url': { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`Argument inattendu : ${positionals.join(' ')}`);
  const host = values.host ?? '127.0.0.1';
  const portText = values.port ?? io.env['PORT'] ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535)
    throw new UsageError(`Port invalide « ${portText} » (0 à 65535).`);
  const retentionDays = retentionDaysFromEnv(io.env);
  if (values['public-url'] !== undefined) {
    // The option is SUIVI_PUBLIC_URL's command-line form: the server reads its configuration from there.
    try {
      process.env['SUIVI_PUBLIC_URL'] = parsePublicUrl(values['public-url'], '--public-url') ?? '';
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  const logger = createLogger();
  // Listened for before the start: a stop asked while the server starts (systemd, an impatient
  // operator) stops it once up, instead of killing the process half-way by the default action.
  let onStop: (signal: NodeJS.Signals) => void = () => undefined;
  const stopAsked = new Promise<NodeJS.Signals>((resolve) => (onStop = resolve));
  const onTerm = (): void => onStop('SIGTERM');
  const onInt = (): void => onStop('SIGINT');
  process.once('SIGTERM', onTerm);
  process.once('SIGINT', onInt);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      target: dbTargetFrom({ db: values.db, env: io.env }),
      host,
      port,
      logger,
      retentionDays,
    });
  } catch (error) {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    throw error;
  }
  io.out(`Suivi BALF écoute sur ${server.url}\n`);
  if (!process.env['SUIVI_PUBLIC_URL']) {
    io.err(
      'Adresse publique non configurée (SUIVI_PUBLIC_URL ou --public-url) : /addon/updates.json n’est pas servi, ' +
        'les postes ne recevront pas les mises à jour du module.\n',
    );
  }
  const anyUser = await server.db.selectFrom('users').select('login').limit(1).executeTakeFirst();
  if (!anyUser) {
    io.err(
      'Aucun utilisateur : créez-en un avec « suivi-balf user add <identifiant> --scope national » pour le tableau de bord.\n',
    );
  }

  const signal = await stopAsked;
  // The other signal's one-shot listener gives way to `force` below.
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  logger.info({ signal }, 'arrêt demandé : fin des requêtes en cours');
  const firstAt = Date.now();
  // A second signal while draining means "now": exit without waiting further. A copy arriving
  // right away is not a second request: a signal sent to the whole process group (systemd,
  // `kill -TERM -<pgid>`) also reaches `npm start`, which forwards it.
  let stopped = false;
  const force = (again: NodeJS.Signals): void => {
    // Stopped cleanly already: a late copy must not turn that into a forced exit (nor, with no
    // listener left, into death by the signal's default action).
    if (stopped) return;
    if (Date.now() - firstAt < REPEAT_WINDOW_MS) {
      logger.info({ signal: again }, 'signal répété ignoré (copie transmise par le processus parent)');
      return;
    }
    io.err('Arrêt forcé.\n');
    process.exit(1);
  };
  process.on('SIGTERM', force);
  process.on('SIGINT', force);
  await server.close();
  stopped = true;
  logger.info('serveur arrêté');
  logger.flush();
  io.out('Suivi BALF arrêté.\n');
  return 0;
}
