/** The error every route and plugin throws for a final (4xx) or retryable (503) answer. */

/**
 * A failure whose message is meant for the client: `code` is a stable machine word, `message` is
 * French and says exactly what was wrong, `details` lists e.g. the failing schema paths.
 */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    details?: unknown,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

/** Flattens zod issues into `path: message` lines, the body of a 400. */
export function zodIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): {
  path: string;
  message: string;
}[] {
  return issues.map((i) => ({
    path: i.path.length === 0 ? '(racine)' : i.path.map((p) => String(p)).join('.'),
    message: i.message,
  }));
}
