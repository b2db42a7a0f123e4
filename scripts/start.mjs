// `npm start`: builds the add-on, the dashboard and the server, then runs `suivi-balf serve`.
// `npm start -- --demo` first fills the database with demo data and creates a national user.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let options;
try {
  options = parseArgs({
    args: process.argv.slice(2),
    options: {
      demo: { type: 'boolean' },
      db: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      days: { type: 'string' },
    },
  }).values;
} catch (e) {
  console.error(
    `npm start : ${e.message}\nUsage : npm start [-- --demo] [--db FICHIER] [--host H] [--port P] [--days N]`,
  );
  process.exit(2);
}

function run(command, args, what) {
  console.error(`▶ ${what}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  return result.status === 0;
}

const scripts = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).scripts ?? {};

// The add-on is optional for the server (it only serves the .xpi when present).
if (scripts.build && existsSync(`${root}scripts/build.mjs`)) {
  if (!run(npm, ['run', '--silent', 'build'], 'Construction du module complémentaire (npm run build)')) {
    console.error('⚠ Module complémentaire non construit : le serveur démarre sans le .xpi.');
  }
} else {
  console.error(
    '⚠ Construction du module complémentaire indisponible (scripts/build.mjs absent) : étape ignorée.',
  );
}

if (scripts['build:dashboard']) {
  if (
    !run(
      npm,
      ['run', '--silent', 'build:dashboard'],
      'Construction du tableau de bord (npm run build:dashboard)',
    )
  ) {
    console.error('✖ Échec de la construction du tableau de bord.');
    process.exit(1);
  }
} else {
  console.error('⚠ Script build:dashboard absent : le tableau de bord ne sera pas servi.');
}

if (!run(process.execPath, ['scripts/build-server.mjs'], 'Construction du serveur (build/server/cli.js)')) {
  console.error('✖ Échec de la construction du serveur.');
  process.exit(1);
}

const cli = `${root}build/server/cli.js`;
const dbArgs = options.db ? ['--db', options.db] : [];
if (options.demo) {
  const demoArgs = ['demo', ...dbArgs, ...(options.days ? ['--days', options.days] : [])];
  if (!run(process.execPath, [cli, ...demoArgs], 'Données de démonstration (suivi-balf demo)')) {
    console.error('✖ Échec du remplissage de démonstration.');
    process.exit(1);
  }
}

const serveArgs = [
  'serve',
  ...dbArgs,
  ...(options.host ? ['--host', options.host] : []),
  ...(options.port ? ['--port', options.port] : []),
];
const server = spawn(process.execPath, [cli, ...serveArgs], { cwd: root, stdio: 'inherit' });
// The server stops cleanly on these signals; forward them rather than dying first. Ctrl-C at a
// terminal already reaches the whole process group: forwarding it too would be a second signal,
// which the server reads as "stop now".
process.on('SIGTERM', () => server.kill('SIGTERM'));
process.on('SIGINT', () => {
  if (!process.stdin.isTTY) server.kill('SIGINT');
});
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
