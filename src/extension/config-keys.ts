// Names of the configuration keys, without the validation code: pages import this, not zod.
export const configKeys = [
  'endpoint',
  'token',
  'secret',
  'balfs',
  'balfPattern',
  'internalDomains',
  'region',
  'department',
  'targets',
  'primaryTarget',
  'backfillDays',
  'uploadIntervalMinutes',
  'logLevel',
  'whitMondayWorked',
  'allowSpotCheckUpload',
  'notifyDue',
] as const;
export type ConfigKey = (typeof configKeys)[number];

export const logLevels = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof logLevels)[number];
