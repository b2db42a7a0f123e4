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
  // One listener per signal for the whole life of the command, installed before the start: a stop asked
  // while the server starts (systemd, an impatient operator) stops it once up, and no moment is left
  // without a listener, when a second signal would kill the process half-way by the default action.
  let onStop: (signal: NodeJS.Signals) => void = () => undefined;
  const stopAsked = new Promise<NodeJS.Signals>((resolve) => (onStop = resolve));
  let firstAt: number | undefined;
  let stopped = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      onStop(signal);
      return;
    }
    // Stopped cleanly already: a late copy must not turn that into a forced exit.
    if (stopped) return;
    // A copy arriving right away is not a second request: a signal sent to the whole process group
    // (systemd, `kill -TERM -<pgid>`) also reaches `npm start`, which forwards it.
    if (Date.now() - firstAt < REPEAT_WINDOW_MS) {
      logger.info({ signal }, 'signal répété ignoré (copie transmise par le processus parent)');
      return;
    }
    // A second signal while draining means "now": exit without waiting further.
    io.err('Arrêt forcé.\n');
    process.exit(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
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
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
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
  logger.info({ signal }, 'arrêt demandé : fin des requêtes en cours');
  await server.close();
  stopped = true;
  logger.info('serveur arrêté');
  logger.flush();
  io.out('Suivi BALF arrêté.\n');
  return 0;
}
