/** Access scopes (national, one department, one service) of tokens and users, and who sees what. */
import { regionForDepartment } from '../../core/calendar.ts';
import { HttpError } from '../http-error.ts';

export type Scope =
  { level: 'national' } | { level: 'department'; code: string } | { level: 'service'; code: string };

/** Where a thing sits in the directory; null above its level (national, or an unattached BALF). */
export interface Placement {
  department: string | null;
  service: string | null;
}

/** Who is calling: an API token or a logged-in user. */
export interface Principal {
  kind: 'token' | 'user';
  /** Token id or user login. */
  id: string;
  scope: Scope;
  canWrite: boolean;
}

/**
 * Canonical department code: numbers below 100 on two digits ('1' → '01', '075' → '75'), Corsica
 * upper-case. Throws a RangeError with a French message for a code that is no department.
 */
export function normalizeDepartmentCode(raw: string): string {
  const code = raw.trim().toUpperCase();
  regionForDepartment(code);
  if (/^\d+$/.test(code)) {
    const n = Number(code);
    return n < 100 ? String(n).padStart(2, '0') : String(n);
  }
  return code;
}

/**
 * Parses `national`, `department:<code>` or (when allowed) `service:<code>`.
 * @throws Error with a French message saying the expected syntax.
 */
export function parseScope(
  text: string,
  allowed: readonly Scope['level'][] = ['national', 'department', 'service'],
): Scope {
  const expected = allowed.map((l) => (l === 'national' ? 'national' : `${l}:<code>`)).join(', ');
  const trimmed = text.trim();
  const [level, ...rest] = trimmed.split(':');
  const code = rest.join(':').trim();
  let scope: Scope | undefined;
  if (level === 'national' && rest.length === 0) scope = { level: 'national' };
  else if (level === 'department' && code) {
    try {
      scope = { level: 'department', code: normalizeDepartmentCode(code) };
    } catch (e) {
      throw new Error(`Portée invalide « ${text} » : ${(e as Error).message}`, { cause: e });
    }
  } else if (level === 'service' && code) scope = { level: 'service', code };
  if (!scope || !allowed.includes(scope.level)) {
    throw new Error(`Portée invalide « ${text} » : attendu ${expected}`);
  }
  return scope;
}

export function formatScope(scope: Scope): string {
  return scope.level === 'national' ? 'national' : `${scope.level}:${scope.code}`;
}

/** True when a principal of this scope may see (or send data for) the thing placed there. */
export function canSee(scope: Scope, placement: Placement): boolean {
  switch (scope.level) {
    case 'national':
      return true;
    case 'department':
      return placement.department === scope.code;
    case 'service':
      return placement.service === scope.code;
  }
}

/**
 * The 404 of a directory node that is unknown OR outside the caller's scope: both answer alike, so
 * that a scoped caller cannot learn which departments, services or BALFs exist elsewhere.
 */
export function notFoundInScope(what: string): HttpError {
  return new HttpError(404, 'not_found', `${what} : introuvable ou hors de votre périmètre.`);
}
