/** `suivi-balf` command line: serve, token, user, directory, demo, policies, purge, notifications (see `suivi-balf help`). */
import { directoryCommand, policiesSubcommand, tokenCommand, userCommand } from './admin-commands.ts';
import { calendarCommand } from './calendar-command.ts';
import { demoCommand } from './demo-command.ts';
import { notificationsCommand } from './notifications-command.ts';
import { purgeCommand } from './purge-command.ts';
import { serveCommand } from './serve-command.ts';
import { UsageError, type Io } from './support.ts';

const HELP = `Usage : suivi-balf <commande> [options]

Base de données : --db FICHIER (SQLite, défaut data/suivi-balf.sqlite) ou DATABASE_URL (PostgreSQL).

  serve [--host 127.0.0.1] [--port 8080] [--public-url https://…]
                                                   démarre le serveur (PORT, DATABASE_URL, SUIVI_PUBLIC_URL lus aussi)
  token create --scope national|department:<code> [--read] [--label TEXTE]
  token list | token revoke <id>
  user add <identifiant> --scope national|department:<code>|service:<code>   (mot de passe sur l’entrée standard)
  user list | user remove <identifiant>
  user unlock <identifiant>                        efface ses échecs de connexion (connexion suspendue)
  directory import <fichier.csv> | directory export
  calendar import <fichier.csv> | calendar list [--withdrawn]   jours fermés / ouverts déclarés (recalcule les délais)
  calendar preset guadeloupe|martinique|mayotte --years 2025,2026   coutumes locales (usages, pas des fériés)
  demo [--days 365] [--seed N]                     remplit la base de données de démonstration
  policies --department <code> --endpoint <url> [--platform linux|windows]
  purge --older-than <jours> [--dry-run]           supprime les enregistrements par message plus anciens
                                                   (les cumuls quotidiens restent ; SUIVI_RETENTION_DAYS pour serve)
  notifications list [--login ID]                  abonnements aux synthèses et alertes par courriel
  notifications outbox [--status pending|sending|sent|failed|cancelled] [--limit 100]
                                                   messages dus ou envoyés, essais et dernière erreur
`;

type Command = (args: string[], io: Io) => Promise<number>;

const commands: Record<string, Command> = {
  serve: serveCommand,
  token: tokenCommand,
  user: userCommand,
  directory: directoryCommand,
  calendar: calendarCommand,
  demo: demoCommand,
  policies: policiesSubcommand,
  purge: purgeCommand,
  notifications: notificationsCommand,
};

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.out(HELP);
    return name ? 0 : 2;
  }
  const command = commands[name];
  try {
    if (!command) throw new UsageError(`Commande inconnue « ${name} ».`);
    return await command(args, io);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      io.err(
        `suivi-balf : ${e instanceof UsageError ? e.message : `option invalide — ${(e as Error).message}`}\n`,
      );
      io.err('Voir « suivi-balf help ».\n');
      return 2;
    }
    io.err(`suivi-balf ${name} : ${(e as Error).message}\n`);
    if (io.env['SUIVI_DEBUG'] === '1') io.err(`${(e as Error).stack ?? ''}\n`);
    return 1;
  }
}

const io: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  stdin: process.stdin,
};

// `serve` resolves only after a clean shutdown; exitCode (not exit()) lets stdout drain.
main(process.argv.slice(2), io).then(
  (status) => {
    process.exitCode = status;
  },
  (e: unknown) => {
    process.stderr.write(`suivi-balf : erreur inattendue : ${String(e)}\n`);
    process.exitCode = 1;
  },
);
