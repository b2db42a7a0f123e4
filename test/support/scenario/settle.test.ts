// The scenario runner's settling: a client is done only on an idle status that describes every folder stored.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleLog } from '../thunderbird/console-log.ts';
import { ClientWatch, STATUS_COUNTS_AGE_MS, verdict } from './settle.ts';

const IDLE = { scanComplete: true, scanning: false, unrefined: 0, queue: 0, ledger: 3, lastUpload: 'ok' };
const FOLDERS = ['INBOX', 'Sent'];

describe('verdict', () => {
  let dir: string;
  const watches: ClientWatch[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'suivi-settle-'));
  });
  afterAll(async () => {
    for (const w of watches) w.close();
    await rm(dir, { recursive: true, force: true });
  });

  function client(): { watch: ClientWatch; print: (status: object) => void } {
    const log = new ConsoleLog();
    const watch = new ClientWatch(`c${watches.length}`, () => log, join(dir, `${watches.length}.log`));
    watches.push(watch);
    return {
      watch,
      print: (status) =>
        log.push(`console.info: "suivi-balf:status ${JSON.stringify(status).replace(/"/g, '\\"')}"\n`),
    };
  }

  it('waits for every folder, then for an idle status that describes the last one stored', () => {
    const { watch, print } = client();
    const t = Date.parse('2026-12-07T10:00:00Z');
    print({ ...IDLE, at: new Date(t).toISOString() });
    expect(verdict(watch, FOLDERS)).toMatchObject({
      settled: false,
      why: expect.stringContaining('INBOX, Sent'),
    });
    watch.events.headersFetched!('INBOX', t + 1000);
    expect(verdict(watch, FOLDERS)).toMatchObject({ settled: false, why: expect.stringContaining('Sent') });
    watch.events.headersFetched!('Sent', t + 5000);
    // Idle, but printed before Sent was stored: it may not count Sent's messages.
    expect(verdict(watch, FOLDERS).settled).toBe(false);
    // Printed after, but with folder counts it may have read before Sent was stored.
    print({ ...IDLE, at: new Date(t + 5000 + STATUS_COUNTS_AGE_MS - 1).toISOString() });
    expect(verdict(watch, FOLDERS).settled).toBe(false);
    print({ ...IDLE, queue: 1, at: new Date(t + 7000).toISOString() });
    expect(verdict(watch, FOLDERS)).toMatchObject({ settled: false, why: expect.stringContaining('occupé') });
    print({ ...IDLE, at: new Date(t + 9000).toISOString() });
    expect(verdict(watch, FOLDERS)).toEqual({ settled: true, statusIndex: 3 });
  });

  it('is not idle while a walk runs, the account is not walked whole, a received message waits for its headers, or the last upload failed', () => {
    const { watch, print } = client();
    watch.events.headersFetched!('INBOX', 0);
    watch.events.headersFetched!('Sent', 0);
    const at = new Date(60_000).toISOString();
    expect(verdict(watch, FOLDERS)).toMatchObject({ settled: false, why: 'aucune ligne suivi-balf:status' });
    for (const busy of [
      { scanning: true },
      { scanComplete: false },
      { unrefined: 2 },
      { lastUpload: 'error' },
    ]) {
      print({ ...IDLE, ...busy, at });
      expect(verdict(watch, FOLDERS).settled, JSON.stringify(busy)).toBe(false);
    }
  });
});
