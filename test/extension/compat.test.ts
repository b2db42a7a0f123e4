// Version adapter: older Thunderbirds refuse the pagination options and the monitorAllFolders flag.
import { describe, expect, it } from 'vitest';
import { adaptMessenger } from '../../src/extension/compat.ts';
import type { QueryInfo } from '../../src/extension/platform.ts';
import { FakeMessenger } from './fake-messenger.ts';

describe('compat adapter', () => {
  it('retries a refused query without the newer options', async () => {
    const fake = new FakeMessenger();
    const seen: QueryInfo[] = [];
    Object.defineProperty(fake.api.messages, 'query', {
      value: async (info: QueryInfo) => {
        seen.push(info);
        if ('messagesPerPage' in info)
          throw new Error('Type error for parameter queryInfo (Unexpected property "messagesPerPage")');
        return { id: null, messages: [] };
      },
    });
    const m = adaptMessenger(fake.api);
    await m.messages.query({ accountId: 'a', messagesPerPage: 1000, autoPaginationTimeout: 0 });
    expect(seen.at(-1)).toEqual({ accountId: 'a' });
  });

  it('reads raw headers through messages.getHeaders where Thunderbird has it (147+), and only there', async () => {
    const older = new FakeMessenger();
    expect('getHeaders' in adaptMessenger(older.api).messages).toBe(false);
    const newer = new FakeMessenger();
    const asked: unknown[] = [];
    Object.defineProperty(newer.api.messages, 'getHeaders', {
      value: async (id: number, options?: unknown) => {
        asked.push(options);
        return { 'message-id': [`<m${id}@exemple.fr>`], references: ['<a@exemple.fr>\r\n <b@exemple.fr>'] };
      },
    });
    const m = adaptMessenger(newer.api);
    await expect(m.messages.getHeaders?.(7)).resolves.toEqual({
      'message-id': ['<m7@exemple.fr>'],
      references: ['<a@exemple.fr> <b@exemple.fr>'],
    });
    expect(asked).toEqual([{ decodeHeaders: false }]);
  });

  it('falls back to decoded headers once a Thunderbird refuses the raw option, and rethrows read errors', async () => {
    const fake = new FakeMessenger();
    const asked: unknown[] = [];
    Object.defineProperty(fake.api.messages, 'getHeaders', {
      value: async (id: number, options?: unknown) => {
        asked.push(options);
        if (id === 9) throw new Error('Error reading message 9');
        if (options !== undefined) throw new Error('Incorrect argument types for messages.getHeaders.');
        return { subject: ['Réponse'] };
      },
    });
    const m = adaptMessenger(fake.api);
    await expect(m.messages.getHeaders?.(1)).resolves.toEqual({ subject: ['Réponse'] });
    await expect(m.messages.getHeaders?.(2)).resolves.toEqual({ subject: ['Réponse'] });
    // Refused once: later reads go straight to the plain call.
    expect(asked).toEqual([{ decodeHeaders: false }, undefined, undefined]);
    await expect(m.messages.getHeaders?.(9)).rejects.toThrow('Error reading message 9');
  });

  it('rethrows other query errors', async () => {
    const fake = new FakeMessenger();
    Object.defineProperty(fake.api.messages, 'query', {
      value: async () => Promise.reject(new Error('boom')),
    });
    await expect(adaptMessenger(fake.api).messages.query({})).rejects.toThrow('boom');
  });

  it('asks for every folder and falls back when the flag is refused', () => {
    const fake = new FakeMessenger();
    adaptMessenger(fake.api).messages.onNewMailReceived.addListener(() => undefined);
    expect(fake.events.onNewMailReceived.listeners[0]?.extra).toEqual([true]);
    const old = new FakeMessenger();
    const event = old.events.onNewMailReceived;
    const plain = event.addListener.bind(event);
    event.addListener = (l: Parameters<typeof plain>[0], ...extra: unknown[]) => {
      if (extra.length > 0)
        throw new Error('Incorrect argument types for messages.onNewMailReceived.addListener.');
      plain(l);
    };
    adaptMessenger(old.api).messages.onNewMailReceived.addListener(() => undefined);
    expect(event.listeners).toHaveLength(1);
    expect(event.listeners[0]?.extra).toEqual([]);
  });
});
