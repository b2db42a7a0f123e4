/**
 * `fdatasync` of a WAL file (what `synchronous = FULL` adds at each commit), with the file kept open
 * from one group to the next: one call into libuv's thread pool per group instead of three (open,
 * datasync, close). Each hand-off wakes a pool thread, and on the benchmark's virtual machine the
 * three of them cost the server thread ~3 % of an ingest.
 *
 * The path is checked at every call (`stat`, on the calling thread, no hand-off): if the file there
 * is no longer the one kept open (deleted and created again), the new one is opened and synced.
 * Only the last path is kept open; a file given up is closed once its syncs in flight are done.
 */
import { closeSync, fdatasync, fstatSync, openSync, statSync } from 'node:fs';

interface OpenFile {
  path: string;
  fd: number;
  dev: number;
  ino: number;
  inFlight: number;
  givenUp: boolean;
}

let kept: OpenFile | null = null;

function openFileAt(path: string): OpenFile {
  const onDisk = statSync(path);
  if (kept !== null && kept.path === path && kept.dev === onDisk.dev && kept.ino === onDisk.ino) return kept;
  const fd = openSync(path, 'r');
  const opened = fstatSync(fd);
  if (kept !== null) giveUp(kept);
  kept = { path, fd, dev: opened.dev, ino: opened.ino, inFlight: 0, givenUp: false };
  return kept;
}

function giveUp(file: OpenFile): void {
  file.givenUp = true;
  if (file.inFlight === 0) closeSync(file.fd);
}

/** Makes everything written so far to the file at `path` durable; rejects with the system's error. */
export function syncFile(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let file: OpenFile;
    try {
      file = openFileAt(path);
    } catch (error) {
      reject(error);
      return;
    }
    file.inFlight++;
    fdatasync(file.fd, (error) => {
      file.inFlight--;
      if (file.givenUp && file.inFlight === 0) closeSync(file.fd);
      if (error) reject(error);
      else resolve();
    });
  });
}

/** Tests only: the descriptor kept open, if any, and for which path. */
export function keptFileForTests(): { path: string; fd: number } | null {
  return kept && { path: kept.path, fd: kept.fd };
}
