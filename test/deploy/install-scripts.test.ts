// npm 11.16+ lists dependencies whose install scripts are not approved in package.json's
// `allowScripts`, and npm 12 skips those scripts: better-sqlite3 would then install without its
// native binding and the server would not start on a fresh machine. Every package of the lockfile
// with an install script must be approved (or explicitly denied) there.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(root, file), 'utf8'));

interface LockPackage {
  version?: string;
  hasInstallScript?: boolean;
}

/** Packages of a lockfile (v2/v3 `packages` map) that run an install script: `name@version`. */
export function withInstallScripts(lock: { packages?: Record<string, LockPackage> }): string[] {
  return Object.entries(lock.packages ?? {})
    .filter(([path, pkg]) => path !== '' && pkg.hasInstallScript === true)
    .map(
      ([path, pkg]) =>
        `${path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length)}@${pkg.version}`,
    );
}

/** Whether `allowScripts` has an entry, by name or by exact `name@version`, for `nameAtVersion`. */
export function isDecided(allow: Record<string, boolean>, nameAtVersion: string): boolean {
  const name = nameAtVersion.slice(0, nameAtVersion.lastIndexOf('@'));
  return nameAtVersion in allow || name in allow;
}

describe('install scripts', () => {
  it('finds packages with install scripts in a lockfile and checks them against allowScripts', () => {
    const lock = {
      packages: {
        '': { version: '1.0.0', hasInstallScript: true },
        'node_modules/a': { version: '1.2.3', hasInstallScript: true },
        'node_modules/@s/b': { version: '2.0.0', hasInstallScript: true },
        'node_modules/x/node_modules/c': { version: '0.1.0' },
      },
    };
    expect(withInstallScripts(lock)).toEqual(['a@1.2.3', '@s/b@2.0.0']);
    expect(isDecided({ a: true }, 'a@1.2.3')).toBe(true);
    expect(isDecided({ 'a@1.2.3': true }, 'a@1.2.3')).toBe(true);
    expect(isDecided({ 'a@1.2.2': true }, 'a@1.2.3')).toBe(false);
    expect(isDecided({ '@s/b': false }, '@s/b@2.0.0')).toBe(true);
    expect(isDecided({}, '@s/b@2.0.0')).toBe(false);
  });

  it('every dependency with an install script is decided in package.json allowScripts', () => {
    const pkg = readJson('package.json') as { allowScripts?: Record<string, boolean> };
    const found = withInstallScripts(
      readJson('package-lock.json') as { packages?: Record<string, LockPackage> },
    );
    // better-sqlite3 at least: the server's embedded database needs its native binding.
    expect(found.some((p) => p.startsWith('better-sqlite3@'))).toBe(true);
    const undecided = found.filter((p) => !isDecided(pkg.allowScripts ?? {}, p));
    expect(undecided, 'à approuver : npm install-scripts approve <paquet>').toEqual([]);
    // Approved, not denied: without its binding better-sqlite3 cannot open a database.
    expect(pkg.allowScripts?.['better-sqlite3']).toBe(true);
  });
});
