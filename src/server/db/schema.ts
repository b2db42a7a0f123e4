/**
 * Table types of the collection server's database, shared by SQLite and PostgreSQL.
 * Instants are ISO-8601 UTC strings and days are `YYYY-MM-DD` strings on both databases, so that
 * comparisons and grouping behave the same everywhere.
 */
import type { Generated, Kysely } from 'kysely';

export interface DepartmentTable {
  code: string;
  name: string;
  region: string;
}

export interface ServiceTable {
  code: string;
  name: string;
  kind: string;
  department_code: string;
  /** Region of the service when it differs from its department's (rare); null = department's. */
  region: string | null;
}

export interface BalfTable {
  address: string;
  service_code: string;
}

/** One row per (BALF, message key): the union of what every client reported. */
export interface RecordTable {
  balf: string;
  key: string;
  dir: 'in' | 'out';
  at: string;
  /** Calendar day of `at` in the service's time zone (Europe/Paris while unattached). */
  day: string;
  cat: string;
  heuristic: number;
  /**
   * Received mail: 1 when `cat` was decided with the message's own headers, 0 when from the message list
   * alone (provisional; every record stored before upload schema 2). See src/core/classify.ts categoryWins.
   */
  hdr: Generated<number>;
  /** For received `usager` mail: time of the first answer found by src/core matchReplies. */
  answered_at: string | null;
  answer_heuristic: number;
  batch_id: string;
  created_at: string;
  /**
   * Sent replies from another identity than the BALF's: `personal` or `other-balf` (upload field `via`);
   * null or absent otherwise. Set after the insert by src/server/ingest/sent-via.ts.
   */
  via?: string | null;
}

/** References from a sent message to the keys it answers (In-Reply-To, References, heuristic). */
export interface RecordRefTable {
  balf: string;
  sent_key: string;
  ref_key: string;
  /** Rank in the sent message's `re` list (0 = In-Reply-To), or in its `hre` list. */
  position: number;
  /** 1: from the request closure (`hre`), always paired as heuristic; 0: from `re`. */
  heuristic: Generated<number>;
}

/** Sent replies from another identity than the BALF's, per BALF, day of sending and `via`. */
export interface DailySentViaTable {
  balf: string;
  day: string;
  via: string;
  count: number;
}

/** Daily counts per BALF, direction and category. */
export interface DailyFlowTable {
  balf: string;
  day: string;
  dir: 'in' | 'out';
  cat: string;
  count: number;
  /** Received records among `count` classified with their headers (`count − refined` are provisional). */
  refined: Generated<number>;
}

/**
 * Received `usager` mail per BALF and day of receipt, by delay in working days of its first
 * answer (-1 = not answered yet). Statuses for any target are derived from this at query time.
 */
export interface DailyReplyTable {
  balf: string;
  day: string;
  delay: number;
  count: number;
}

/** daily_flows summed per department (`unattached` for BALFs outside the directory). */
export interface DepartmentDailyFlowTable {
  department: string;
  day: string;
  dir: 'in' | 'out';
  cat: string;
  count: number;
  refined: Generated<number>;
}

/** daily_replies summed per department and calendar region (the region decides overdue days). */
export interface DepartmentDailyReplyTable {
  department: string;
  region: string;
  day: string;
  delay: number;
  count: number;
}

/** Department and region a BALF's rollups are currently credited to. */
export interface BalfHomeTable {
  balf: string;
  department: string;
  region: string;
}

export interface BatchTable {
  batch_id: string;
  token_id: string;
  balf: string;
  client_id: string;
  seq: number | null;
  records: number;
  accepted: number;
  duplicates: number;
  /** Records of the batch that refined a stored one (category or references): part of `duplicates`. */
  updated: Generated<number>;
  created_at: string;
}

export interface TokenTable {
  id: string;
  /** SHA-256 of the token (tokens are long random strings: no slow hash needed). */
  hash: string;
  /** `national` or `department:<code>`. */
  scope: string;
  can_write: number;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface UserTable {
  login: string;
  /** scrypt hash, `scrypt$N$r$p$salt$hash` (memory-hard). */
  password_hash: string;
  /** `national`, `department:<code>` or `service:<code>`. */
  scope: string;
  created_at: string;
  failed_attempts: number;
  locked_until: string | null;
}

export interface SessionTable {
  /** SHA-256 of the session id kept in the cookie. */
  id_hash: string;
  login: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
}

export interface SpotCheckTable {
  id: string;
  balf: string;
  token_id: string;
  from_day: string;
  to_day: string;
  done_at: string;
  seed: string;
  target_id: string;
  target_days: number;
  population: number;
  sample_size: number;
  conforme: number;
  non_conforme: number;
  sans_objet: number;
  auto_in_time: number;
  auto_late: number;
  auto_pending: number;
  auto_overdue: number;
  disagreements: number;
  created_at: string;
}

/**
 * A fixed-window counter shared by every server instance: failed logins per account, address and
 * pair, uploads per token. `attempts` counts within the window ending at `window_end`.
 */
export interface ThrottleTable {
  key: string;
  /** Login the counter is about (login throttles), for `user unlock`. */
  login: string | null;
  address: string | null;
  attempts: number;
  /** Attempts allowed within the window. */
  max: number;
  window_end: string;
}

/** Addresses a login has succeeded from: they are not slowed by attempts on the account from elsewhere. */
export interface LoginAddressTable {
  login: string;
  address: string;
  last_success_at: string;
}

/**
 * Uploads (tallies, spot-checks) a department token sent for an address outside its scope — not in
 * the directory, or another department's: kept as received, counted nowhere, until the directory
 * places the address within the token's scope.
 */
export interface QuarantineTable {
  kind: 'tallies' | 'spot_check';
  /** batchId or spot-check id. */
  id: string;
  balf: string;
  token_id: string;
  /** Scope of the token when it sent the upload (`department:<code>`). */
  token_scope: string;
  records: number;
  /** The validated upload, JSON. */
  payload: string;
  received_at: string;
}

/** IMAP quota readings: one per BALF per UTC hour; limit null when Thunderbird gave no storage quota. */
export interface StorageSampleTable {
  balf: string;
  /** `YYYY-MM-DDTHH` (UTC). */
  hour: string;
  at: string;
  /** Bytes (bigint: PostgreSQL answers a string). */
  used_bytes: number | string | null;
  limit_bytes: number | string | null;
  client_id: string;
  created_at: string;
}

/** The reading kept for each BALF and day (the BALF's region), as `storage_samples` chooses per hour. */
export interface StorageDayTable {
  balf: string;
  day: string;
  at: string;
  used_bytes: number | string | null;
  limit_bytes: number | string | null;
}

/** A user's subscription to a directory node's weekly digest and « en retard » alerts (issue 26). */
export interface NotificationSubscriptionTable {
  id: string;
  login: string;
  email: string;
  level: string;
  subject_id: string;
  digest_since: string | null;
  alert_threshold: number | null;
  alert_above: Generated<number>;
  token: string;
  created_at: string;
  updated_at: string;
}

/** Every notification message, rendered when due, with its delivery attempts. */
export interface NotificationOutboxTable {
  id: string;
  subscription_id: string;
  login: string;
  email: string;
  kind: 'digest' | 'alert';
  level: string;
  subject_id: string;
  period: string;
  mail_subject: string;
  text_body: string;
  html_body: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';
  attempts: Generated<number>;
  next_attempt_at: string;
  lease_until: string | null;
  last_error: string | null;
  message_id: string;
  created_at: string;
  sent_at: string | null;
}

export interface SettingTable {
  name: string;
  value: string;
}

/** A declared calendar day (src/core/overlays.ts); withdrawn rows stay for the record. */
export interface CalendarOverlayTable {
  id: string;
  /** `nation`, `region:<region>`, `department:<code>` or `service:<code>`. */
  scope: string;
  day: string;
  state: 'closed' | 'open';
  label: string;
  source: string;
  declared_by: string;
  declared_at: string;
  withdrawn_by: string | null;
  withdrawn_at: string | null;
}

export interface Database {
  departments: DepartmentTable;
  services: ServiceTable;
  balfs: BalfTable;
  records: RecordTable;
  record_refs: RecordRefTable;
  daily_flows: DailyFlowTable;
  daily_replies: DailyReplyTable;
  daily_sent_via: DailySentViaTable;
  department_daily_flows: DepartmentDailyFlowTable;
  department_daily_replies: DepartmentDailyReplyTable;
  balf_homes: BalfHomeTable;
  batches: BatchTable;
  tokens: TokenTable;
  users: UserTable;
  sessions: SessionTable;
  spot_checks: SpotCheckTable;
  settings: SettingTable;
  throttles: ThrottleTable;
  login_addresses: LoginAddressTable;
  quarantine: QuarantineTable;
  storage_samples: StorageSampleTable;
  storage_days: StorageDayTable;
  calendar_overlays: CalendarOverlayTable;
  notification_subscriptions: NotificationSubscriptionTable;
  notification_outbox: NotificationOutboxTable;
}

export type Db = Kysely<Database>;
