// Opening a sampled message (or its reply) in Thunderbird: find it by Message-ID, then show it in a tab.
// Typed as the two calls it needs, so tests can pass the fake messenger or a narrower stub.

export interface OpenerApi {
  messages: {
    // A list id (string) only comes back with returnMessageListId, which this query does not ask for.
    query(info: { headerMessageId: string }): Promise<string | { messages: { id: number }[] }>;
  };
  messageDisplay: {
    open(info: { messageId: number; location: 'tab' | 'window' }): Promise<unknown>;
  };
}

export type OpenResult = 'opened' | 'not-found';

/**
 * Looks the message up (messages.query by headerMessageId scans every folder: ~0.5 s, fine on a click)
 * and opens the first match in a tab. A message moved out of the synced folders or deleted is "not-found";
 * the row keeps its ledger data.
 */
export async function openByMessageId(api: OpenerApi, headerMessageId: string): Promise<OpenResult> {
  const id = headerMessageId.trim().replace(/^<|>$/g, '');
  if (id === '') return 'not-found';
  const found = await api.messages.query({ headerMessageId: id });
  const first = typeof found === 'string' ? undefined : found.messages[0];
  if (!first) return 'not-found';
  await api.messageDisplay.open({ messageId: first.id, location: 'tab' });
  return 'opened';
}
