// The one place that absorbs differences between Thunderbird versions (MV2 build for 115 ESR,
// MV3 for 128+): optional listener arguments and query options older versions reject.
import type { Messenger, QueryInfo } from './platform.ts';

/** Options of messages.query added after 115 (pagination control): dropped when refused. */
const NEWER_QUERY_OPTIONS = ['messagesPerPage', 'autoPaginationTimeout', 'returnMessageListId'] as const;

export function adaptMessenger(m: Messenger): Messenger {
  const messages = m.messages;
  const query = async (info: QueryInfo) => {
    try {
      return await messages.query(info);
    } catch (error) {
      if (
        !/unexpected property|incorrect argument/i.test(
          error instanceof Error ? error.message : String(error),
        )
      ) {
        throw error;
      }
      const older: QueryInfo = { ...info };
      for (const k of NEWER_QUERY_OPTIONS) delete older[k];
      return messages.query(older);
    }
  };
  const onNewMailReceived = {
    addListener(listener: Parameters<Messenger['messages']['onNewMailReceived']['addListener']>[0]) {
      try {
        // monitorAllFolders (Thunderbird 121+): new mail in every folder, not only the inbox.
        messages.onNewMailReceived.addListener(listener, true);
      } catch {
        messages.onNewMailReceived.addListener(listener);
      }
    },
  };
  return {
    ...m,
    messages: {
      query,
      continueList: (id) => messages.continueList(id),
      ...(typeof messages.abortList === 'function'
        ? { abortList: (id: string) => (messages.abortList as (id: string) => Promise<void>)(id) }
        : {}),
      getFull: (id) => messages.getFull(id),
      ...('getHeaders' in messages && typeof messages.getHeaders === 'function'
        ? {
            getHeaders: (id: number) =>
              (messages.getHeaders as (id: number) => Promise<Record<string, string[]>>)(id),
          }
        : {}),
      onNewMailReceived,
    },
  };
}
