// The one place that absorbs differences between Thunderbird versions (MV2 build for 115 ESR,
// MV3 for 128+): optional listener arguments and query options older versions reject.
import { rawHeadersAsText } from './mime-words.ts';
import type { Messenger, QueryInfo } from './platform.ts';

/** Options of messages.query added after 115 (pagination control): dropped when refused. */
const NEWER_QUERY_OPTIONS = ['messagesPerPage', 'autoPaginationTimeout', 'returnMessageListId'] as const;

/** Thunderbird's answer to an argument or option its version does not know. */
const refusedArgument = (error: unknown): boolean =>
  /unexpected property|incorrect argument/i.test(error instanceof Error ? error.message : String(error));

export function adaptMessenger(m: Messenger): Messenger {
  const messages = m.messages;
  const query = async (info: QueryInfo) => {
    try {
      return await messages.query(info);
    } catch (error) {
      if (!refusedArgument(error)) throw error;
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
      ...(typeof messages.abortList === 'function' ? { abortList: messages.abortList.bind(messages) } : {}),
      getFull: (id) => messages.getFull(id),
      ...('get' in messages && typeof messages.get === 'function'
        ? { get: messages.get.bind(messages) }
        : {}),
      ...('getHeaders' in messages && typeof messages.getHeaders === 'function'
        ? { getHeaders: rawFirst(messages.getHeaders.bind(messages)) }
        : {}),
      onNewMailReceived,
    },
  };
}

type GetHeaders = NonNullable<Messenger['messages']['getHeaders']>;

/**
 * getHeaders asking for the raw headers, made text here (`rawHeadersAsText`): decoding every header
 * (addresses parsed, encoded words decoded) takes a large share of Thunderbird's main thread while a
 * back-fill reads its sent replies (Gecko profile: docs/benchmarks.md), and that thread is what bounds a
 * back-fill; this add-on's own process idles most of the time. A Thunderbird that refuses the option gets
 * the plain call from then on: its decoded headers are the same text with the encoded words decoded.
 */
function rawFirst(getHeaders: GetHeaders): GetHeaders {
  let refused = false;
  return async (id) => {
    if (!refused) {
      try {
        return rawHeadersAsText(await getHeaders(id, { decodeHeaders: false }));
      } catch (error) {
        if (!refusedArgument(error)) throw error;
        refused = true;
      }
    }
    return getHeaders(id);
  };
}
