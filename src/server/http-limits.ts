/**
 * Connection limits of the HTTP listener — how long a client may take to send its headers and its
 * whole request, how long a kept-alive connection may sit idle — and a stop that closes idle
 * connections instead of waiting for their keep-alive to run out.
 */
import type { Server, ServerResponse } from 'node:http';

export interface HttpTimeouts {
  /** Time allowed to receive a request's headers: a client trickling them (slow loris) is cut. */
  headersMs: number;
  /** Time allowed to receive a whole request, headers and body: a trickled body is cut. */
  requestMs: number;
  /** Idle time after which a kept-alive connection is closed. */
  keepAliveMs: number;
}

/**
 * Headers arrive in one packet from any real client; 20 s leaves room for a congested link. A
 * request may be a 20 MB directory import from an administrator's workstation: 120 s is 1.4 Mbit/s.
 * Keep-alive stays above the 60 s idle timeout of common reverse proxies (Fastify's own default),
 * so that the server never closes a connection a proxy is about to reuse.
 */
export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = {
  headersMs: 20_000,
  requestMs: 120_000,
  keepAliveMs: 72_000,
};

const VARIABLES: Record<keyof HttpTimeouts, string> = {
  headersMs: 'SUIVI_HEADERS_TIMEOUT',
  requestMs: 'SUIVI_REQUEST_TIMEOUT',
  keepAliveMs: 'SUIVI_KEEPALIVE_TIMEOUT',
};

/** Longest accepted value of a variable, in seconds: beyond an hour a limit no longer limits. */
const MAX_SECONDS = 3600;

export class HttpTimeoutSettingError extends Error {
  override name = 'HttpTimeoutSettingError';
}

/**
 * The limits from SUIVI_HEADERS_TIMEOUT, SUIVI_REQUEST_TIMEOUT and SUIVI_KEEPALIVE_TIMEOUT (whole
 * seconds, 1 to 3600); an unset variable keeps its default. Throws a message naming the variable.
 */
export function httpTimeoutsFromEnv(env: NodeJS.ProcessEnv): HttpTimeouts {
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS };
  for (const key of Object.keys(VARIABLES) as (keyof HttpTimeouts)[]) {
    const name = VARIABLES[key];
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const seconds = Number(raw);
    if (!/^\d+$/.test(raw) || seconds < 1 || seconds > MAX_SECONDS) {
      throw new HttpTimeoutSettingError(
        `${name} invalide « ${raw} » : un nombre entier de secondes, de 1 à ${MAX_SECONDS}.`,
      );
    }
    timeouts[key] = seconds * 1000;
  }
  if (timeouts.headersMs > timeouts.requestMs) {
    throw new HttpTimeoutSettingError(
      `${VARIABLES.headersMs} (${timeouts.headersMs / 1000} s) dépasse ${VARIABLES.requestMs} ` +
        `(${timeouts.requestMs / 1000} s) : les en-têtes font partie de la requête.`,
    );
  }
  return timeouts;
}

/** Applies the limits; call before `listen` (Node starts its expiry check when listening begins). */
export function applyHttpTimeouts(server: Server, timeouts: HttpTimeouts): void {
  server.headersTimeout = timeouts.headersMs;
  server.requestTimeout = timeouts.requestMs;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  // Node looks for expired requests on this period (30 s by default): a limit must bite near its
  // value, not up to 30 s later. The check walks only connections with a request under way. A
  // public property of http.Server that @types/node declares only as a constructor option.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(
    50,
    Math.min(1000, Math.floor(timeouts.headersMs / 4)),
  );
}

export interface StopDrain {
  /**
   * Call when the stop begins: idle connections close now, and every connection closes as soon as
   * its request under way has been answered. Returns the function that ends this once closed.
   */
  begin(): () => void;
}

/** How often connections that went idle during a stop are closed. */
const DRAIN_PERIOD_MS = 100;

/**
 * Node's `server.close()` closes the connections idle at that instant only; a connection whose
 * request finishes afterwards stays open for the whole keep-alive delay, and so does the stop.
 */
export function drainOnStop(server: Server): StopDrain {
  const inFlight = new Set<ServerResponse>();
  server.on('request', (_request, response: ServerResponse) => {
    inFlight.add(response);
    response.once('close', () => inFlight.delete(response));
  });
  return {
    begin() {
      // Answers not yet started tell their client not to send another request on this connection.
      for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
      server.closeIdleConnections();
      const timer = setInterval(() => server.closeIdleConnections(), DRAIN_PERIOD_MS);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}
