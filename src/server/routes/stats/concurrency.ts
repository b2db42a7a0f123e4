/**
 * Bounds the statistics queries running at once in this server instance, per caller and in all:
 * a query holds a database connection for as long as it reads, and one caller opening fifty must
 * not leave none for the uploads and health checks. Past a bound the caller gets a 429 at once.
 */
import { HttpError } from '../../http-error.ts';

export interface ConcurrencyLimits {
  perPrincipal: number;
  total: number;
}

/** Seconds a refused caller is told to wait: a statistics query usually lasts well under that. */
export const RETRY_AFTER_SECONDS = 2;

export class ConcurrencyGate {
  readonly #running = new Map<string, number>();
  #total = 0;

  constructor(readonly limits: ConcurrencyLimits) {}

  /** Takes a slot for the caller, or throws a 429 saying which bound was reached. */
  enter(caller: string): () => void {
    const mine = this.#running.get(caller) ?? 0;
    if (mine >= this.limits.perPrincipal) {
      throw busy(
        `Trop de requêtes de statistiques simultanées pour cet utilisateur ou ce jeton (${this.limits.perPrincipal} au plus) : ` +
          'attendez la fin des précédentes.',
      );
    }
    if (this.#total >= this.limits.total) {
      throw busy(
        `Serveur occupé : ${this.limits.total} requêtes de statistiques sont déjà en cours. Réessayez dans quelques secondes.`,
      );
    }
    this.#running.set(caller, mine + 1);
    this.#total += 1;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#total -= 1;
      const n = (this.#running.get(caller) ?? 1) - 1;
      if (n <= 0) this.#running.delete(caller);
      else this.#running.set(caller, n);
    };
  }

  /** Runs `work` within a slot, released whatever its outcome. */
  async run<T>(caller: string, work: () => Promise<T>): Promise<T> {
    const leave = this.enter(caller);
    try {
      return await work();
    } finally {
      leave();
    }
  }
}

function busy(message: string): HttpError {
  return new HttpError(429, 'rate_limited', message, undefined, {
    'retry-after': String(RETRY_AFTER_SECONDS),
  });
}
