// The subset of Thunderbird's `messenger` API the add-on uses, typed locally (the published
// @types lag behind Thunderbird 128+: no alarms, no monitorAllFolders, no query pagination options).

export interface MailFolder {
  accountId?: string;
  id?: string;
  path: string;
  name?: string;
  specialUse?: string[];
  subFolders?: MailFolder[];
}

export interface MessageHeader {
  id: number;
  author: string;
  recipients: string[];
  ccList: string[];
  bccList: string[];
  date: Date | string | number;
  headerMessageId: string;
  subject: string;
  size: number;
  junk: boolean;
  folder?: MailFolder;
  external?: boolean;
}

export interface MessageList {
  id?: string | null;
  messages: MessageHeader[];
}

export interface MessagePart {
  headers?: Record<string, string[]>;
}

export interface MailIdentity {
  id?: string;
  email: string;
  name?: string;
}

export interface MailAccount {
  id: string;
  name?: string;
  type?: string;
  identities: MailIdentity[];
  folders?: MailFolder[] | null;
  rootFolder?: MailFolder;
}

export interface QueryInfo {
  accountId?: string | string[];
  /** Folders to search (Thunderbird 128+ MV3, accountsRead). */
  folderId?: string | string[];
  /** Scans every message: for one-off look-ups (the sampling panel), never per message in a scan. */
  headerMessageId?: string;
  fromDate?: Date;
  toDate?: Date;
  messagesPerPage?: number;
  autoPaginationTimeout?: number;
  returnMessageListId?: boolean;
}

export interface WebEvent<L extends (...args: never[]) => unknown> {
  addListener(listener: L, ...extra: unknown[]): void;
}

export interface Alarm {
  name: string;
  scheduledTime?: number;
  periodInMinutes?: number;
}

export interface AlarmCreateInfo {
  when?: number;
  delayInMinutes?: number;
  periodInMinutes?: number;
}

export interface StorageArea {
  get(keys?: string | string[] | null): Promise<Record<string, unknown>>;
  set?(items: Record<string, unknown>): Promise<void>;
  remove?(keys: string | string[]): Promise<void>;
}

export interface SendInfo {
  mode?: string;
  /** Present on a failed send, its value possibly undefined (a failure without a message). */
  error?: string | undefined;
  headerMessageId?: string;
  messages?: MessageHeader[];
  /** The compose window's details (Thunderbird 147+): the parts the send path reads. */
  details?: {
    type?: string;
    identityId?: string;
    /** The message answered or forwarded. */
    relatedMessageId?: number;
    from?: string;
  };
}

/** Everything the add-on calls on `messenger`. Tests fake exactly this. */
export interface Messenger {
  messages: {
    /** With `returnMessageListId` Thunderbird answers the list id alone (a string). */
    query(info: QueryInfo): Promise<MessageList | string>;
    continueList(listId: string): Promise<MessageList>;
    /** Thunderbird 120+: stops filling a list (its remaining pages are never built). */
    abortList?(listId: string): Promise<void>;
    getFull(id: number): Promise<MessagePart>;
    /** One message header by id. */
    get?(id: number): Promise<MessageHeader>;
    /**
     * Thunderbird 147+: the message's headers without MIME parsing, "significantly faster than
     * getFull when only the header information is required". Absent on older versions.
     */
    getHeaders?(id: number, options?: { decodeHeaders?: boolean }): Promise<Record<string, string[]>>;
    onNewMailReceived: WebEvent<(folder: MailFolder, list: MessageList) => void>;
  };
  accounts: {
    list(includeSubFolders?: boolean): Promise<MailAccount[]>;
    onCreated: WebEvent<(id: string, account: MailAccount) => void>;
    onUpdated: WebEvent<(id: string, changed: unknown) => void>;
  };
  folders: {
    /** MV3 takes the folder id; MV2 (115) the MailFolder. */
    getFolderInfo(folder: string | MailFolder): Promise<{ totalMessageCount?: number; quota?: unknown }>;
    /** Fires when a folder's counts change (mail came or went): the storage watch reads the quota again. */
    onFolderInfoChanged: WebEvent<(folder: MailFolder, info: unknown) => void>;
  };
  compose: {
    onAfterSend: WebEvent<(tab: unknown, sendInfo: SendInfo) => void>;
  };
  alarms: {
    create(name: string, info: AlarmCreateInfo): void | Promise<void>;
    clear(name: string): Promise<boolean>;
    get(name: string): Promise<Alarm | undefined>;
    onAlarm: WebEvent<(alarm: Alarm) => void>;
  };
  storage: {
    local: StorageArea & {
      set(items: Record<string, unknown>): Promise<void>;
      remove(keys: string | string[]): Promise<void>;
    };
    managed: StorageArea;
    onChanged: WebEvent<(changes: Record<string, unknown>, area: string) => void>;
  };
  runtime: {
    onStartup: WebEvent<() => void>;
    onInstalled: WebEvent<(details: { reason: string }) => void>;
    onMessage: WebEvent<(message: unknown, sender: unknown) => Promise<unknown> | undefined>;
    sendMessage(message: unknown): Promise<unknown>;
    getBrowserInfo(): Promise<{ name: string; version: string }>;
    getManifest(): { version: string; manifest_version: number };
    getURL(path: string): string;
    openOptionsPage(): Promise<void>;
  };
  i18n: {
    getMessage(name: string, substitutions?: string | string[]): string;
  };
  tabs: {
    create(info: { url: string }): Promise<unknown>;
  };
  menus: {
    create(info: { id: string; title: string; contexts: string[] }, callback?: () => void): string | number;
    onClicked: WebEvent<(info: { menuItemId: string | number }, tab?: unknown) => void>;
  };
  /** System notifications (the `notifications` permission). */
  notifications?: {
    create(
      id: string,
      options: { type: 'basic'; title: string; message: string; iconUrl?: string },
    ): Promise<string>;
  };
  messageDisplay: {
    open(info: { messageId: number; location?: 'tab' | 'window' | 'default' }): Promise<unknown>;
  };
}

/** Injected clock, so time-dependent logic is testable. */
export type Clock = () => Date;

/** The global `messenger` of Thunderbird, typed as the subset above. */
export function platformMessenger(): Messenger {
  const g = globalThis as unknown as { messenger?: Messenger; browser?: Messenger };
  const m = g.messenger ?? g.browser;
  if (!m) throw new Error('messenger API unavailable (not running inside Thunderbird)');
  return m;
}
