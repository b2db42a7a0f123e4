/** The target a figure is computed against: the requested one, or the primary, from the current settings. */
import type { Target } from '../../core/targets.ts';
import { currentTargets, type ServerConfig } from '../config.ts';
import type { Db } from '../db/schema.ts';
import { HttpError } from '../http-error.ts';

/** @throws HttpError 400 naming the known targets when `requested` is none of them. */
export async function pickTarget(
  db: Db,
  config: ServerConfig,
  requested: string | undefined,
  message: string,
): Promise<Target> {
  const settings = await currentTargets(db, config);
  const targetId = requested ?? settings.primary;
  const target = settings.targets.find((t) => t.id === targetId);
  if (!target) {
    throw new HttpError(400, 'invalid_query', message, [
      {
        path: 'target',
        message: `cible inconnue « ${targetId} » (connues : ${settings.targets.map((t) => t.id).join(', ')})`,
      },
    ]);
  }
  return target;
}
