// The messages pages send to the background: one discriminated union, one answer type per kind.
import type { ConfigError, ConfigKey, Source } from './config.ts';
import type { Eviction } from './ledger.ts';
import type { LastUpload } from './uploader.ts';
import type { StorageUse } from './quota.ts';
import type { OpenResult } from './sampling/thunderbird.ts';
import type { BalfSummary } from './summary.ts';

export type Request =
  | { type: 'popup/summary' }
  | { type: 'popup/open-message'; headerMessageId: string }
  | { type: 'options/state' }
  | { type: 'options/save-local'; values: Record<string, unknown> }
  | { type: 'upload/now' }
  | { type: 'scan/now' }
  | { type: 'ledger/export-csv' }
  | { type: 'ledger/purge' };

export interface OptionsState {
  managed: boolean;
  /** Effective values (the token and secret are masked). */
  values: Record<string, unknown>;
  sources: Record<ConfigKey, Source>;
  errors: ConfigError[];
  local: Record<string, unknown>;
  lastScan: { at: string; errors: string[]; stats?: unknown } | null;
  lastUpload: LastUpload | null;
  notBefore: string | null;
  queue: number;
  ledger: number;
  finalBatches: { batchId: string; balf: string; records: number; lastError?: string }[];
  evictions: Eviction[];
  balfAccounts: { accountId: string; balf: string }[];
}

export interface Answers {
  'popup/summary': {
    /**
     * `unrefined`: received messages still counted from the list alone (figures provisional); `waiting`: the
     * oldest waiting usager messages (POPUP_WAITING_LIMIT at most) of `waitingTotal`; `storage`: the latest
     * quota use, null when unknown (no quota from Thunderbird or the server, or not read yet).
     */
    balfs: (BalfSummary & { waitingTotal: number; unrefined: number; storage: StorageUse | null })[];
    primaryTarget: { id: string; label: string; workingDays: number };
    configured: boolean;
  };
  'popup/open-message': { result: OpenResult };
  'options/state': OptionsState;
  'options/save-local': { errors: ConfigError[] };
  'upload/now': LastUpload;
  'scan/now': { added: number; errors: string[] };
  'ledger/export-csv': { csv: string; filename: string };
  'ledger/purge': { ok: true };
}

export type Handlers = {
  [K in Request['type']]: (req: Extract<Request, { type: K }>) => Promise<Answers[K]>;
};

export function isRequest(x: unknown): x is Request {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as { type?: unknown }).type === 'string' &&
    [
      'popup/summary',
      'popup/open-message',
      'options/state',
      'options/save-local',
      'upload/now',
      'scan/now',
      'ledger/export-csv',
      'ledger/purge',
    ].includes((x as { type: string }).type)
  );
}

/** Typed call from a page. */
export async function ask<K extends Request['type']>(
  send: (message: unknown) => Promise<unknown>,
  req: Extract<Request, { type: K }>,
): Promise<Answers[K]> {
  return (await send(req)) as Answers[K];
}
