// The database kinds a server test file runs on: its Vitest project's (server-sqlite or server-pg), both otherwise.
import { inject } from 'vitest';

export const ALL_DATABASE_KINDS = ['sqlite', 'postgres'] as const;
export type DatabaseKind = (typeof ALL_DATABASE_KINDS)[number];

declare module 'vitest' {
  export interface ProvidedContext {
    /** Kinds a `describe.each(databaseKinds)` block runs on, given by the project (vitest.config.ts). */
    databaseKinds: readonly DatabaseKind[];
  }
}

/**
 * `describe.each(databaseKinds)`: one block per kind. The server-sqlite project runs the SQLite half
 * of such a file and server-pg its PostgreSQL half, so each half can run alone and none twice.
 */
export const databaseKinds: readonly DatabaseKind[] = inject('databaseKinds') ?? ALL_DATABASE_KINDS;
