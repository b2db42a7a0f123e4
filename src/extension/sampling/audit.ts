// Local audit trail of spot-checks: an append-only IndexedDB store whose entries are chained by
// SHA-256, so a later change is a new entry and a silent edit of an old one shows up in verify().
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Draw, DrawRequest, SampleRow } from './draw.ts';
import type { Decisions } from './results.ts';
import type { PeriodPreset } from './period.ts';

export const AUDIT_DB_NAME = 'suivi-balf-sampling';
const AUDIT_DB_VERSION = 1;

/** One saved version of a spot-check: everything needed to read it again without the ledger. */
export interface SavedSpotCheck {
  /** Stable across versions of the same spot-check. */
  checkId: string;
  /** 1 for the first save, then +1 per later save. */
  revision: number;
  /** Unique per version: the id of the summary sent to the server. */
  id: string;
  savedAt: string;
  preset: PeriodPreset;
  request: DrawRequest;
  region: string;
  whitMondayWorked: boolean;
  population: number;
  requested: number;
  takeAll: boolean;
  asOf: string;
  rows: SampleRow[];
  decisions: Decisions;
}

export type AuditEvent =
  | { kind: 'save'; spotCheck: SavedSpotCheck }
  | {
      kind: 'upload';
      checkId: string;
      revision: number;
      id: string;
      at: string;
      result: 'ok' | 'error';
      status?: number;
      message?: string;
    };

export type AuditEntry = AuditEvent & { seq: number; prevHash: string; hash: string };

interface Schema extends DBSchema {
  entries: { key: number; value: AuditEntry; indexes: { byCheck: string } };
}

export type AuditDb = IDBPDatabase<Schema>;

export async function openAuditDb(name = AUDIT_DB_NAME): Promise<AuditDb> {
  return openDB<Schema>(name, AUDIT_DB_VERSION, {
    upgrade(db) {
      const store = db.createObjectStore('entries', { keyPath: 'seq' });
      store.createIndex('byCheck', 'checkId');
    },
  });
}

const GENESIS = '0'.repeat(64);

/** Canonical JSON (sorted keys) so the hash does not depend on property order after a round-trip. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const entries = Object.entries(x as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function hashInput(seq: number, prevHash: string, event: AuditEvent): string {
  return canonicalJson({ seq, prevHash, event });
}

function eventOf(entry: AuditEntry): AuditEvent {
  const { seq: _seq, prevHash: _prev, hash: _hash, ...event } = entry;
  return event as AuditEvent;
}

/** The trail. Only `append` writes, with `add` (never `put`): an existing entry cannot be replaced. */
export class AuditTrail {
  constructor(private readonly db: AuditDb) {}

  async append(event: AuditEvent): Promise<AuditEntry> {
    // The checkId is copied to the top level for the index; it is part of the hashed content.
    const body = { ...event, checkId: checkIdOf(event) } as AuditEvent;
    for (let attempt = 1; ; attempt += 1) {
      const cursor = await this.db.transaction('entries').store.openCursor(null, 'prev');
      const last = cursor?.value;
      const seq = (last?.seq ?? 0) + 1;
      const prevHash = last?.hash ?? GENESIS;
      const hash = await sha256(hashInput(seq, prevHash, body));
      const entry = { ...body, seq, prevHash, hash } as AuditEntry;
      try {
        // `add` fails with ConstraintError if another page appended this seq meanwhile: retry on top.
        await this.db.add('entries', entry);
        return entry;
      } catch (error) {
        if (attempt >= 20 || !(error instanceof Error && error.name === 'ConstraintError')) throw error;
      }
    }
  }

  async entries(): Promise<AuditEntry[]> {
    return this.db.getAll('entries');
  }

  /** Latest saved version of each spot-check, newest first. */
  async latestSaves(): Promise<SavedSpotCheck[]> {
    const latest = new Map<string, SavedSpotCheck>();
    for (const e of await this.entries()) if (e.kind === 'save') latest.set(e.spotCheck.checkId, e.spotCheck);
    return [...latest.values()].sort((a, b) => (a.savedAt < b.savedAt ? 1 : a.savedAt > b.savedAt ? -1 : 0));
  }

  async history(checkId: string): Promise<AuditEntry[]> {
    return this.db.getAllFromIndex('entries', 'byCheck', checkId);
  }

  /** Recomputes the chain: the first entry whose hash or link does not match, or null when intact. */
  async verify(): Promise<{ seq: number; reason: string } | null> {
    let prev = GENESIS;
    let expectedSeq = 1;
    for (const entry of await this.entries()) {
      if (entry.seq !== expectedSeq) return { seq: entry.seq, reason: 'entrée manquante' };
      if (entry.prevHash !== prev) return { seq: entry.seq, reason: 'chaînage rompu' };
      if ((await sha256(hashInput(entry.seq, entry.prevHash, eventOf(entry)))) !== entry.hash) {
        return { seq: entry.seq, reason: 'contenu modifié' };
      }
      prev = entry.hash;
      expectedSeq += 1;
    }
    return null;
  }
}

function checkIdOf(event: AuditEvent): string {
  return event.kind === 'save' ? event.spotCheck.checkId : event.checkId;
}

/** A new version of a spot-check from the current draw and decisions. */
export function newVersion(
  draw: Draw,
  decisions: Decisions,
  meta: {
    previous: SavedSpotCheck | null;
    preset: PeriodPreset;
    region: string;
    whitMondayWorked: boolean;
    now: Date;
    uuid: () => string;
  },
): SavedSpotCheck {
  return {
    checkId: meta.previous?.checkId ?? meta.uuid(),
    revision: (meta.previous?.revision ?? 0) + 1,
    id: meta.uuid(),
    savedAt: meta.now.toISOString(),
    preset: meta.preset,
    request: draw.request,
    region: meta.region,
    whitMondayWorked: meta.whitMondayWorked,
    population: draw.population,
    requested: draw.requested,
    takeAll: draw.takeAll,
    asOf: draw.asOf,
    rows: draw.rows,
    decisions: structuredClone(decisions) as Decisions,
  };
}

/** The draw a saved version describes (to show it again exactly as saved). */
export function drawOf(saved: SavedSpotCheck): Draw {
  return {
    request: saved.request,
    population: saved.population,
    requested: saved.requested,
    takeAll: saved.takeAll,
    rows: saved.rows,
    asOf: saved.asOf,
  };
}
