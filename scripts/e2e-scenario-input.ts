// Reads a scenario directory for the e2e runner: scenario.json, and the dates of every message of its Maildir.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { addDays, isRegion, localDay, regionForDepartment, type Region } from '../src/core/calendar.ts';

const scenarioSchema = z.object({
  balf: z.string().trim().min(3).includes('@'),
  clients: z.number().int().min(1).max(8).default(1),
  department: z
    .string()
    .trim()
    .regex(/^(\d{2,3}|2A|2B)$/i, 'code de département invalide'),
  managed: z.record(z.string(), z.unknown()).default({}),
});

export interface Scenario {
  balf: string;
  clients: number;
  department: string;
  region: Region;
  managed: Record<string, unknown>;
}

export async function loadScenario(dir: string): Promise<Scenario> {
  const file = join(dir, 'scenario.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new Error(`${file} introuvable`);
  });
  const parsed = scenarioSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file} : ${issue.path.join('.') || '(racine)'} : ${issue.message}`);
  }
  const { balf, clients, department, managed } = parsed.data;
  const region = managed['region'] ?? regionForDepartment(department);
  if (!isRegion(region)) throw new Error(`${file} : managed.region inconnue : ${JSON.stringify(region)}`);
  await stat(join(dir, 'maildir')).catch(() => {
    throw new Error(`${join(dir, 'maildir')} introuvable`);
  });
  return { balf: balf.toLowerCase(), clients, department: department.toUpperCase(), region, managed };
}

/** The header block of a message, unfolded, as (lower-case name, value) pairs. */
export function headerFields(text: string): [string, string][] {
  const end = text.search(/\r?\n\r?\n/);
  const block = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const fields: [string, string][] = [];
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

/**
 * Instants a message may be counted at: its Date and the time of each Received header (Thunderbird
 * uses the latter with `mailnews.use_received_date`). With neither, Thunderbird dates the message when
 * it first downloads its header (it does not read the IMAP INTERNALDATE, i.e. the file time), so the
 * instant is `firstSight` (the run's start): not the file time, which a git checkout sets to the clone's.
 */
export function messageInstants(text: string, firstSight: Date): Date[] {
  const found: Date[] = [];
  for (const [name, value] of headerFields(text)) {
    const raw =
      name === 'date' ? value : name === 'received' ? value.slice(value.lastIndexOf(';') + 1) : null;
    if (raw === null) continue;
    const ms = Date.parse(raw.replace(/\s*\([^)]*\)\s*$/, ''));
    if (Number.isFinite(ms)) found.push(new Date(ms));
  }
  return found.length > 0 ? found : [firstSight];
}

/** Every candidate instant of every message file (`cur/`, `new/`) of every folder of the tree. */
export async function readMaildirDates(root: string, now = new Date()): Promise<Date[]> {
  const folders = [root];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith('.')) folders.push(join(root, entry.name));
  }
  const dates: Date[] = [];
  for (const folder of folders) {
    for (const sub of ['cur', 'new']) {
      const dir = join(folder, sub);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names.filter((n) => !n.startsWith('.'))) {
        const path = join(dir, name);
        dates.push(...messageInstants(await readFile(path, 'latin1'), now));
      }
    }
  }
  if (dates.length === 0) throw new Error(`aucun message dans ${root}`);
  return dates;
}

/**
 * First and last local day covering the dates, with a margin of two days each side. Dates more than
 * two days ahead are left out: the server refuses records dated in the future, and one absurd Date
 * header must not stretch the range over decades.
 */
export function dayRange(
  dates: readonly Date[],
  region: Region,
  now = new Date(),
): { from: string; to: string } {
  const limit = now.getTime() + 2 * 86_400_000;
  const days = dates
    .filter((d) => d.getTime() <= limit && d.getUTCFullYear() >= 1990)
    .map((d) => localDay(d, region))
    .sort();
  if (days.length === 0) throw new Error('aucune date exploitable dans les messages');
  return { from: addDays(days[0]!, -2), to: addDays(days.at(-1)!, 2) };
}

export interface RunnerArgs {
  dir: string;
  out: string;
  flavor: 'mv3' | 'mv2';
  /** Where to copy the run's SQLite database once the figures are written (`--db <file>`). */
  db?: string;
}

export const USAGE =
  'usage : npm run e2e:scenario -- <dossier du scénario> <sortie.json> [--mv2] [--db <fichier.sqlite>]';

/**
 * The runner's command line: two positional arguments (the contract), then options. `--mv2` (or
 * `SUIVI_ADDON_FLAVOR=mv2`) installs the MV2 build; `--mv3` forces the default one.
 */
export function parseRunnerArgs(argv: readonly string[], envFlavor: 'mv3' | 'mv2'): RunnerArgs {
  const positional: string[] = [];
  let flavor = envFlavor;
  let db: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--mv2' || arg === '--mv3') flavor = arg === '--mv2' ? 'mv2' : 'mv3';
    else if (arg === '--db') {
      db = argv[(i += 1)];
      if (!db) throw new Error(`--db attend un chemin de fichier ; ${USAGE}`);
    } else if (arg.startsWith('--')) throw new Error(`option inconnue ${arg} ; ${USAGE}`);
    else positional.push(arg);
  }
  const [dir, out, extra] = positional;
  if (!dir || !out || extra !== undefined) throw new Error(USAGE);
  return { dir, out, flavor, ...(db ? { db } : {}) };
}
