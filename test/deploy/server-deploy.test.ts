// The server's operations files (deploy/server/): the systemd unit parses without a warning and is
// hardened (systemd's own offline analysis), the container file builds from files and scripts that
// exist, and every command they run is one `suivi-balf` accepts.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const UNIT = 'deploy/server/suivi-balf.service';
const packageJson = JSON.parse(read('package.json')) as {
  scripts: Record<string, string>;
  engines: { node: string };
};
/** Where scripts/build-server.mjs writes the bundled command line. */
const CLI = /outfile: '([^']+)'/.exec(read('scripts/build-server.mjs'))![1]!;

/** Options `suivi-balf serve` declares (src/server/cli/serve-command.ts). */
function serveOptions(): string[] {
  const source = read('src/server/cli/serve-command.ts');
  const block = /options: \{([\s\S]*?)\n {4}\},\n {2}\}\);/.exec(source)![1]!;
  return [...block.matchAll(/^\s+'?([a-z-]+)'?: \{ type/gm)].map((m) => m[1]!);
}

function systemdAnalyze(args: string[]) {
  const result = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  if (result.error) throw new Error(`systemd-analyze introuvable (paquet systemd) : ${result.error.message}`);
  return result;
}

describe('systemd unit', () => {
  const unit = read(UNIT);
  const directive = (name: string) =>
    [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

  it('parses without a single warning (and a broken copy does warn)', () => {
    const ok = systemdAnalyze(['verify', join(ROOT, UNIT)]);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'suivi-unit-'));
    try {
      const broken = join(dir, 'suivi-balf.service');
      writeFileSync(broken, unit.replace('ProtectSystem=strict', 'ProtectSystem=parfois'));
      expect(systemdAnalyze(['verify', broken]).stderr).toMatch(/protect system value/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs as a dedicated user in a read-only system, with a state directory and a stop delay', () => {
    expect(directive('User')).toEqual(['suivi-balf']);
    expect(directive('ProtectSystem')).toEqual(['strict']);
    expect(directive('NoNewPrivileges')).toEqual(['yes']);
    expect(directive('StateDirectory')).toEqual(['suivi-balf']);
    expect(directive('CapabilityBoundingSet')).toEqual(['']);
    expect(Number(directive('TimeoutStopSec')[0])).toBeGreaterThanOrEqual(10);
    expect(directive('KillSignal')).toEqual(['SIGTERM']);
  });

  it('is rated OK by systemd’s own exposure analysis', () => {
    const result = systemdAnalyze(['security', '--offline=yes', join(ROOT, UNIT)]);
    const level = /Overall exposure level for suivi-balf\.service: ([\d.]+) (\w+)/.exec(result.stdout);
    expect(level, result.stdout + result.stderr).not.toBeNull();
    expect(Number(level![1]), result.stdout).toBeLessThanOrEqual(2.5);
  });

  it('starts the bundled command line with options `serve` accepts, writing only to its state directory', () => {
    const [execStart] = directive('ExecStart');
    const [, script, command, ...args] = execStart!.split(/\s+/);
    expect(script).toBe(`/opt/suivi-balf/${CLI}`);
    expect(command).toBe('serve');
    const options = args.filter((a) => a.startsWith('--')).map((a) => a.slice(2));
    for (const option of options) expect(serveOptions(), option).toContain(option);
    expect(args[args.indexOf('--db') + 1]).toMatch(/^\/var\/lib\/suivi-balf\//);
    expect(directive('WorkingDirectory')).toEqual(['/opt/suivi-balf']);
  });
});

describe('container file', () => {
  const file = read('deploy/server/Containerfile');

  it('runs npm scripts that exist and copies what they produce', () => {
    const scripts = [...file.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const script of scripts) expect(packageJson.scripts, script).toHaveProperty(script);
    for (const [, from] of file.matchAll(/^COPY (?!--from)(\S+(?: \S+)*) \S+$/gm))
      for (const path of from!.split(' '))
        if (path !== '.') expect(existsSync(join(ROOT, path)), path).toBe(true);
    // The final stage takes the bundled server, the dashboard and the add-on the build wrote.
    expect(file).toContain(`COPY --from=build /src/build ./build`);
    expect(file).toContain(`COPY --from=build /src/dist ./dist`);
    expect(read('scripts/build-dashboard.mjs')).toMatch(/build\/dashboard/);
    expect(read('scripts/build.mjs')).toMatch(/dist/);
  });

  it('runs the command line as a non-root user, on the Node version the project needs, with a health check', () => {
    const major = Number(/>=\s*(\d+)/.exec(packageJson.engines.node)![1]);
    for (const [, version] of file.matchAll(/^FROM \S+\/node:(\d+)-/gm)) expect(Number(version)).toBe(major);
    expect(file).toMatch(/^USER suivi-balf$/m);
    expect(file).toContain(`ENTRYPOINT ["node", "${CLI}"]`);
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(file)![1]!) as string[];
    expect(cmd[0]).toBe('serve');
    for (const option of cmd.filter((a) => a.startsWith('--')))
      expect(serveOptions()).toContain(option.slice(2));
    expect(file).toMatch(new RegExp(`^EXPOSE ${cmd[cmd.indexOf('--port') + 1]}$`, 'm'));
    expect(file).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    const ignored = read('.dockerignore').split('\n');
    for (const heavy of ['node_modules', 'build', 'dist', 'data']) expect(ignored).toContain(heavy);
  });
});
