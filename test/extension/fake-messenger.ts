// A typed fake of the `messenger` subset the add-on uses. Anything not modelled throws
// "no fake for messenger.X", so a test never passes by accident on an unmodelled call.
import type {
  Alarm,
  AlarmCreateInfo,
  MailAccount,
  MailFolder,
  MessageHeader,
  MessageList,
  MessagePart,
  Messenger,
  QueryInfo,
  SendInfo,
} from '../../src/extension/platform.ts';

type Listener = (...args: never[]) => unknown;

export class FakeEvent<L extends Listener> {
  readonly listeners: { listener: L; extra: unknown[] }[] = [];
  addListener(listener: L, ...extra: unknown[]): void {
    this.listeners.push({ listener, extra });
  }
  async fire(...args: Parameters<L>): Promise<unknown[]> {
    return Promise.all(
      this.listeners.map(({ listener }) => (listener as (...a: Parameters<L>) => unknown)(...args)),
    );
  }
}

export interface StoredMessage {
  header: MessageHeader;
  /** Raw headers as getFull returns them (lower-case names, arrays of values). */
  headers: Record<string, string[]>;
  accountId: string;
}

function unmodelled(path: string): never {
  throw new Error(`no fake for messenger.${path}`);
}

/** Wraps an object so that reading a missing property throws "no fake for …". */
function strict<T extends object>(target: T, path: string): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      if (typeof prop === 'symbol' || prop === 'then') return Reflect.get(obj, prop, receiver);
      const full = path ? `${path}.${prop}` : prop;
      if (!(prop in obj)) unmodelled(full);
      const value = Reflect.get(obj, prop, receiver) as unknown;
      return value !== null &&
        typeof value === 'object' &&
        !(value instanceof FakeEvent) &&
        !Array.isArray(value)
        ? strict(value as object, full)
        : value;
    },
  });
}

export class FakeMessenger {
  messagesStore: StoredMessage[] = [];
  accounts: MailAccount[] = [];
  managed: Record<string, unknown> | null = null;
  local: Record<string, unknown> = {};
  alarms = new Map<string, AlarmCreateInfo>();
  menus: { id: string; title: string; contexts: string[] }[] = [];
  opened: unknown[] = [];
  tabsCreated: string[] = [];
  /** System notifications shown (`notifications.create`), in order. */
  notifications: { id: string; title: string; message: string }[] = [];
  calls = { query: 0, continueList: 0, abortList: 0, getFull: 0, getHeaders: 0, get: 0 };
  /** Every `messages.getHeaders` options argument, in order. */
  getHeadersOptions: unknown[] = [];
  /** headerMessageIds of messages Thunderbird cannot stream: every read of their headers fails. */
  unreadable = new Set<string>();
  /** Ids of the messages whose headers were read (getHeaders or getFull), in order. */
  readIds: number[] = [];
  /** Every `messages.query` argument, in order. */
  queries: QueryInfo[] = [];
  pageSize = 1000;
  private lists = new Map<string, MessageHeader[][]>();
  /** Lists Thunderbird would still be filling: neither read to their end nor aborted. */
  get openLists(): number {
    return this.lists.size;
  }
  private nextListId = 1;
  /** Called before each continueList: tests use it to simulate an unload mid-scan. */
  onContinue: (() => void) | null = null;

  readonly events = {
    onNewMailReceived: new FakeEvent<(folder: MailFolder, list: MessageList) => void>(),
    onAfterSend: new FakeEvent<(tab: unknown, info: SendInfo) => void>(),
    onAlarm: new FakeEvent<(alarm: Alarm) => void>(),
    onStartup: new FakeEvent<() => void>(),
    onInstalled: new FakeEvent<(details: { reason: string }) => void>(),
    onMessage: new FakeEvent<(message: unknown, sender: unknown) => Promise<unknown> | undefined>(),
    onStorageChanged: new FakeEvent<(changes: Record<string, unknown>, area: string) => void>(),
    onAccountCreated: new FakeEvent<(id: string, account: MailAccount) => void>(),
    onAccountUpdated: new FakeEvent<(id: string, changed: unknown) => void>(),
    onMenuClicked: new FakeEvent<(info: { menuItemId: string | number }, tab?: unknown) => void>(),
    onFolderInfoChanged: new FakeEvent<(folder: MailFolder, info: unknown) => void>(),
  };
  /** `MailFolderInfo.quota` per folder id or path; a folder absent here has none (Thunderbird gives none). */
  quotas = new Map<string, unknown>();

  /**
   * `getHeaders`: a Thunderbird with messages.getHeaders (147+, what MV3 runs on); without it, the getFull-only
   * Thunderbird of the MV2 build (115–146), on which reading `messages.getHeaders` is no fake.
   */
  constructor(options: { getHeaders?: boolean } = {}) {
    if (options.getHeaders) {
      Object.defineProperty(this.api.messages, 'getHeaders', {
        value: async (id: number, info?: { decodeHeaders?: boolean }) => {
          for (const k of Object.keys(info ?? {}))
            if (k !== 'decodeHeaders') unmodelled(`messages.getHeaders({${k}})`);
          this.calls.getHeaders += 1;
          this.getHeadersOptions.push(info);
          // Raw (decodeHeaders: false) or decoded: the fixtures' headers are plain text either way.
          return structuredClone(this.readable(id).headers);
        },
      });
    }
  }

  addMessage(m: StoredMessage): void {
    this.messagesStore.push(m);
  }

  /** The stored message of a Thunderbird id, or Thunderbird's errors for a gone or unstreamable one. */
  private readable(id: number): StoredMessage {
    this.readIds.push(id);
    const m = this.messagesStore.find((x) => x.header.id === id);
    if (!m) throw new Error(`Message not found: ${id}.`);
    if (this.unreadable.has(m.header.headerMessageId)) {
      throw new Error(`Error while streaming message <imap-message://balf@127.0.0.1/INBOX#${id}>: Timeout`);
    }
    return m;
  }

  private page(all: MessageHeader[], perPage: number): MessageList {
    const pages: MessageHeader[][] = [];
    for (let i = 0; i < all.length; i += perPage) pages.push(all.slice(i, i + perPage));
    const first = pages.shift() ?? [];
    if (pages.length === 0) return { id: null, messages: first };
    const id = `list-${this.nextListId++}`;
    this.lists.set(id, pages);
    return { id, messages: first };
  }

  readonly api: Messenger = strict(
    {
      messages: {
        query: async (info: QueryInfo): Promise<MessageList | string> => {
          this.calls.query += 1;
          this.queries.push(info);
          const known = new Set([
            'accountId',
            'folderId',
            'headerMessageId',
            'fromDate',
            'toDate',
            'messagesPerPage',
            'autoPaginationTimeout',
            'returnMessageListId',
          ]);
          for (const k of Object.keys(info)) if (!known.has(k)) unmodelled(`messages.query({${k}})`);
          const from = info.fromDate?.getTime() ?? -Infinity;
          const selected = this.messagesStore
            .filter((m) => info.accountId === undefined || m.accountId === info.accountId)
            .filter(
              (m) =>
                info.folderId === undefined ||
                [info.folderId].flat().includes(m.header.folder?.id ?? m.header.folder?.path ?? ''),
            )
            .filter(
              (m) => info.headerMessageId === undefined || m.header.headerMessageId === info.headerMessageId,
            )
            .filter((m) => new Date(m.header.date).getTime() >= from)
            .map((m) => structuredClone(m.header));
          // Thunderbird searches the folders in the order given.
          const order = [info.folderId ?? []].flat();
          const rank = (h: MessageHeader) => order.indexOf(h.folder?.id ?? h.folder?.path ?? '');
          if (order.length > 1) selected.sort((a, b) => rank(a) - rank(b));
          if (info.returnMessageListId) {
            // Thunderbird 153 answers with the list id only; every page comes from continueList.
            const id = `list-${this.nextListId++}`;
            const pages: MessageHeader[][] = [];
            const per = info.messagesPerPage ?? 100;
            for (let i = 0; i < selected.length; i += per) pages.push(selected.slice(i, i + per));
            this.lists.set(id, pages.length > 0 ? pages : [[]]);
            return id;
          }
          return this.page(selected, info.messagesPerPage ?? 100);
        },
        continueList: async (id: string): Promise<MessageList> => {
          this.calls.continueList += 1;
          this.onContinue?.();
          const pages = this.lists.get(id);
          if (!pages) throw new Error(`unknown list ${id}`);
          const messages = pages.shift() ?? [];
          if (pages.length > 0) return { id, messages };
          this.lists.delete(id); // Thunderbird forgets a list once its last page is read
          return { id: null, messages };
        },
        abortList: async (id: string): Promise<void> => {
          this.calls.abortList += 1;
          // Thunderbird: "No message list for id …" once a list is read to its end or aborted.
          if (!this.lists.delete(id)) throw new Error(`No message list for id ${id}.`);
        },
        getFull: async (id: number): Promise<MessagePart> => {
          this.calls.getFull += 1;
          return { headers: structuredClone(this.readable(id).headers) };
        },
        get: async (id: number): Promise<MessageHeader> => {
          this.calls.get += 1;
          const m = this.messagesStore.find((x) => x.header.id === id);
          if (!m) throw new Error(`Message not found: ${id}.`);
          return structuredClone(m.header);
        },
        onNewMailReceived: this.events.onNewMailReceived,
      },
      accounts: {
        list: async () => structuredClone(this.accounts),
        onCreated: this.events.onAccountCreated,
        onUpdated: this.events.onAccountUpdated,
      },
      folders: {
        // Thunderbird's own count: what it has synced of the folder (here: what the test stored).
        getFolderInfo: async (folder: string | MailFolder) => {
          const path = typeof folder === 'string' ? folder : folder.path;
          // An Error stored as the quota: the call fails (a folder Thunderbird cannot read).
          const quota = this.quotas.get(path);
          if (quota instanceof Error) throw quota;
          return {
            ...(quota !== undefined ? { quota } : {}),
            totalMessageCount: this.messagesStore.filter(
              (m) =>
                (m.header.folder?.id ?? m.header.folder?.path) === path || m.header.folder?.path === path,
            ).length,
          };
        },
        onFolderInfoChanged: this.events.onFolderInfoChanged,
      },
      compose: { onAfterSend: this.events.onAfterSend },
      alarms: {
        create: (name: string, info: AlarmCreateInfo) => {
          this.alarms.set(name, info);
        },
        clear: async (name: string) => this.alarms.delete(name),
        get: async (name: string) => {
          const info = this.alarms.get(name);
          // Thunderbird removes a one-shot alarm once fired; here it stays, with its time in the past (the
          // tests advance the clock before firing it). The time is known for `when` alarms only.
          return info
            ? {
                name,
                ...(info.periodInMinutes ? { periodInMinutes: info.periodInMinutes } : {}),
                ...(info.when !== undefined ? { scheduledTime: info.when } : {}),
              }
            : undefined;
        },
        onAlarm: this.events.onAlarm,
      },
      storage: {
        local: {
          get: async (keys?: string | string[] | null) => {
            const wanted =
              keys === null || keys === undefined ? Object.keys(this.local) : ([] as string[]).concat(keys);
            return Object.fromEntries(
              wanted.filter((k) => k in this.local).map((k) => [k, structuredClone(this.local[k])]),
            );
          },
          set: async (items: Record<string, unknown>) => {
            Object.assign(this.local, structuredClone(items));
          },
          remove: async (keys: string | string[]) => {
            for (const k of ([] as string[]).concat(keys)) delete this.local[k];
          },
        },
        managed: {
          get: async () => {
            if (this.managed === null) throw new Error('Managed storage manifest not found');
            return structuredClone(this.managed);
          },
        },
        onChanged: this.events.onStorageChanged,
      },
      runtime: {
        onStartup: this.events.onStartup,
        onInstalled: this.events.onInstalled,
        onMessage: this.events.onMessage,
        sendMessage: async (message: unknown) => {
          const answers = await this.events.onMessage.fire(message, {});
          return answers.find((a) => a !== undefined);
        },
        getBrowserInfo: async () => ({ name: 'Thunderbird', version: '153.0' }),
        getManifest: () => ({ version: '0.1.0', manifest_version: 3 }),
        getURL: (path: string) => `moz-extension://fake/${path.replace(/^\//, '')}`,
        openOptionsPage: async () => undefined,
      },
      i18n: {
        getMessage: (name: string, subs?: string | string[]) =>
          [name, ...([] as string[]).concat(subs ?? [])].join('|'),
      },
      tabs: {
        create: async (info: { url: string }) => {
          this.tabsCreated.push(info.url);
          return { id: this.tabsCreated.length };
        },
      },
      menus: {
        create: (info: { id: string; title: string; contexts: string[] }) => {
          if (this.menus.some((x) => x.id === info.id)) throw new Error(`ID already exists: ${info.id}`);
          this.menus.push(info);
          return info.id;
        },
        onClicked: this.events.onMenuClicked,
      },
      notifications: {
        create: async (id: string, options: { title: string; message: string }) => {
          this.notifications.push({ id, title: options.title, message: options.message });
          return id;
        },
      },
      messageDisplay: {
        open: async (info: { messageId: number; location?: string }) => {
          this.opened.push(info);
          return { id: 1 };
        },
      },
    } as unknown as Messenger,
    '',
  ) as Messenger;
}

let nextId = 1;
/** A message header with sensible defaults; fixtures override what they show. */
export function header(over: Partial<MessageHeader> & { folder?: MailFolder }): MessageHeader {
  return {
    id: nextId++,
    author: 'Jean Usager <jean.usager@example.org>',
    recipients: ['sip.test@dgfip.finances.gouv.fr'],
    ccList: [],
    bccList: [],
    date: new Date('2026-11-20T09:00:00Z'),
    headerMessageId: `msg-${nextId}@example.org`,
    subject: 'Question',
    size: 1234,
    junk: false,
    folder: { accountId: 'account1', path: '/INBOX', specialUse: ['inbox'] },
    external: false,
    ...over,
  };
}
