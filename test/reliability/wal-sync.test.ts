/** The WAL sync keeps its file open between groups, and follows the path when the file is replaced. */
import { fstatSync, mkdtempSync, readlinkSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keptFileForTests, syncFile } from '../../src/server/ingest/wal-sync.ts';

const dir = mkdtempSync(join(tmpdir(), 'suivi-wal-sync-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a descriptor of this process points to now, or null when it is closed. */
function target(fd: number): string | null {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return null;
  }
}

describe('syncFile', () => {
  it('opens the file once for successive syncs of the same path', async () => {
    const path = join(dir, 'a.sqlite-wal');
    writeFileSync(path, 'frames');
    await syncFile(path);
    const first = keptFileForTests();
    expect(first?.path).toBe(path);
    await Promise.all([syncFile(path), syncFile(path)]);
    expect(keptFileForTests()).toEqual(first);
    expect(target(first!.fd)).toBe(path);
  });

  it('syncs the new file when the one at the path was replaced, and closes the old descriptor', async () => {
    const path = join(dir, 'b.sqlite-wal');
    writeFileSync(path, 'old');
    await syncFile(path);
    const old = keptFileForTests()!;
    unlinkSync(path);
    writeFileSync(path, 'new');
    await syncFile(path);
    const now = keptFileForTests()!;
    expect(now.fd).not.toBe(old.fd);
    expect(fstatSync(now.fd).ino).toBe(statSync(path).ino);
    // The replaced file is no longer held open (its descriptor is closed, or reused for something else).
    expect(target(old.fd)).not.toBe(`${path} (deleted)`);
  });

  it('lets a sync in flight finish on the file it started on before closing it', async () => {
    const first = join(dir, 'c.sqlite-wal');
    const second = join(dir, 'd.sqlite-wal');
    writeFileSync(first, '1');
    writeFileSync(second, '2');
    await syncFile(first);
    const old = keptFileForTests()!;
    // Started on the first file, then the kept file changes while it runs: both must succeed.
    await Promise.all([syncFile(first), syncFile(second)]);
    expect(keptFileForTests()?.path).toBe(second);
    expect(target(old.fd)).not.toBe(first);
  });

  it('rejects with the system error when there is no file at the path', async () => {
    await expect(syncFile(join(dir, 'missing.sqlite-wal'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
