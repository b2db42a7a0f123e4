// Client of the collection server's API: session cookie + CSRF header, French error messages.
import type { BacklogAnswer } from '../core/backlog.ts';
import type { Level, StatsAnswer } from '../core/protocol.ts';
import type { StorageView } from '../core/storage-protocol.ts';
import type { CalendarOverlay } from './views/calendar.ts';
import type { ListedDepartment } from '../server/directory/listing.ts';
import type { BalfHistory, DirectoryChanges } from '../server/directory/preview.ts';
import type { ListedSpotCheck } from '../server/stats/spot-check-list.ts';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: unknown = undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Session {
  login: string;
  scope: unknown;
  csrfToken: string;
}

export interface Target {
  id: string;
  label: string;
  workingDays: number;
  primary: boolean;
}

export interface Crumb {
  level: Level;
  id: string;
  name: string;
}

/** A BALF that sends data but is in no service of the directory. */
export interface UnattachedBalf {
  balf: string;
  firstDay: string;
  lastDay: string;
  records: number;
}

/** One page of the unattached BALFs (the server bounds it) and how many there are in all. */
export interface UnattachedPage {
  total: number;
  balfs: UnattachedBalf[];
}

// The answers' shapes are the server's own types (type-only imports: nothing of the server reaches the bundle).
/** One spot-check summary as GET /api/v1/spot-checks lists it. */
export type SpotCheckRow = ListedSpotCheck;

export interface SpotCheckList {
  spotChecks: SpotCheckRow[];
}

/** The current directory (GET /api/v1/directory/entries). */
export interface DirectoryListing {
  departments: ListedDepartment[];
}

export type { BalfHistory };

/** What an import would change (POST /api/v1/directory/preview). */
export interface DirectoryPreview {
  encoding: string;
  encodingLabel: string;
  rows: { departments: number; services: number; balfs: number };
  changes: DirectoryChanges;
}

/** One of the user's subscriptions as GET /api/v1/notifications/subscriptions lists it. */
export interface NotificationSubscription {
  id: string;
  level: Level;
  subjectId: string;
  label: string;
  email: string;
  digest: boolean;
  alertThreshold: number | null;
  inScope: boolean;
}

/** « Mes notifications »: whether the server sends e-mail (and why not) and the user's subscriptions. */
export interface NotificationSettings {
  enabled: boolean;
  reason: string | null;
  subscriptions: NotificationSubscription[];
}

/** The body of PUT /api/v1/notifications/subscriptions: one subscription per user and node. */
export interface SubscriptionInput {
  level: Level;
  id: string;
  email: string;
  digest: boolean;
  alertThreshold: number | null;
}

/** Used when the server has no /api/v1/targets route: the defaults of the design. */
export const FALLBACK_TARGETS: Target[] = [
  { id: 'marianne-5j', label: '5 jours ouvrés (Marianne)', workingDays: 5, primary: true },
  { id: 'dgfip-2j', label: '2 jours ouvrés (engagement DGFiP)', workingDays: 2, primary: false },
];

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

const GENERIC: Record<number, string> = {
  401: 'Votre session a expiré : reconnectez-vous.',
  403: 'Vous n’avez pas accès à ces données.',
  404: 'Données introuvables.',
  429: 'Trop de tentatives : patientez avant de réessayer.',
};

export class Api {
  private csrfToken: string | null = null;

  constructor(private readonly fetchImpl: FetchLike = (input, init) => fetch(input, init)) {}

  private async request<T>(
    method: string,
    path: string,
    body?: { type: string; data: string | ArrayBuffer },
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET' && this.csrfToken !== null) headers['x-csrf-token'] = this.csrfToken;
    if (body !== undefined) headers['content-type'] = body.type;
    let response: Response;
    try {
      response = await this.fetchImpl(path, {
        method,
        headers,
        credentials: 'same-origin',
        ...(body !== undefined ? { body: body.data } : {}),
      });
    } catch {
      throw new ApiError(0, 'Le serveur ne répond pas : vérifiez votre connexion puis réessayez.');
    }
    const text = await response.text();
    let json: unknown = undefined;
    if (text !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
    }
    if (!response.ok) {
      const message =
        typeof json === 'object' &&
        json !== null &&
        typeof (json as { message?: unknown }).message === 'string'
          ? (json as { message: string }).message
          : (GENERIC[response.status] ?? `Erreur du serveur (${response.status}).`);
      throw new ApiError(response.status, message, json);
    }
    return json as T;
  }

  async session(): Promise<Session | null> {
    try {
      const session = await this.request<Session>('GET', '/api/v1/session');
      this.csrfToken = session.csrfToken;
      return session;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  }

  async login(login: string, password: string): Promise<Session> {
    const session = await this.request<Session>('POST', '/api/v1/session', {
      type: 'application/json',
      data: JSON.stringify({ login, password }),
    });
    this.csrfToken = session.csrfToken;
    return session;
  }

  async logout(): Promise<void> {
    try {
      await this.request<unknown>('DELETE', '/api/v1/session');
    } finally {
      this.csrfToken = null;
    }
  }

  stats(query: string): Promise<StatsAnswer> {
    return this.request<StatsAnswer>('GET', `/api/v1/stats?${query}`);
  }

  backlog(query: string): Promise<BacklogAnswer> {
    return this.request<BacklogAnswer>('GET', `/api/v1/backlog?${query}`);
  }

  storage(level: Level, id: string): Promise<StorageView> {
    return this.request<StorageView>('GET', `/api/v1/storage?${new URLSearchParams({ level, id })}`);
  }

  async targets(): Promise<Target[]> {
    try {
      const targets = await this.request<Target[]>('GET', '/api/v1/targets');
      return Array.isArray(targets) && targets.length > 0 ? targets : FALLBACK_TARGETS;
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) return FALLBACK_TARGETS;
      throw error;
    }
  }

  path(level: Level, id: string): Promise<Crumb[]> {
    return this.request<Crumb[]>('GET', `/api/v1/directory/path?${new URLSearchParams({ level, id })}`);
  }

  spotChecks(query: string): Promise<SpotCheckList> {
    return this.request<SpotCheckList>('GET', `/api/v1/spot-checks?${query}`);
  }

  unattached(): Promise<UnattachedPage> {
    return this.request<UnattachedPage>('GET', '/api/v1/directory/unattached');
  }

  async overlays(): Promise<CalendarOverlay[]> {
    return (await this.request<{ overlays: CalendarOverlay[] }>('GET', '/api/v1/calendar/overlays')).overlays;
  }

  notifications(): Promise<NotificationSettings> {
    return this.request<NotificationSettings>('GET', '/api/v1/notifications/subscriptions');
  }

  saveSubscription(input: SubscriptionInput): Promise<NotificationSubscription> {
    return this.request<NotificationSubscription>('PUT', '/api/v1/notifications/subscriptions', {
      type: 'application/json',
      data: JSON.stringify(input),
    });
  }

  async removeSubscription(id: string): Promise<void> {
    await this.request<unknown>(
      'DELETE',
      `/api/v1/notifications/subscriptions?${new URLSearchParams({ id })}`,
    );
  }

  directory(): Promise<DirectoryListing> {
    return this.request<DirectoryListing>('GET', '/api/v1/directory/entries');
  }

  /** The file's bytes as they are: the server detects their encoding (UTF-8, Windows-1252…). */
  previewDirectory(file: ArrayBuffer): Promise<DirectoryPreview> {
    return this.request<DirectoryPreview>('POST', '/api/v1/directory/preview', {
      type: 'text/csv',
      data: file,
    });
  }

  /** Applies the file; refused (409) when the directory changed since the preview `fingerprint` came from. */
  importDirectory(file: ArrayBuffer, fingerprint: string): Promise<Record<string, unknown>> {
    return this.request<Record<string, unknown>>(
      'POST',
      `/api/v1/directory/import?${new URLSearchParams({ expect: fingerprint })}`,
      { type: 'text/csv', data: file },
    );
  }
}

/** Link to the CSV export of a stats query (the session cookie authorises the download). */
export function csvHref(query: string): string {
  return `/api/v1/stats?${query}`;
}
