// A tiny extension that measures the floor: a bare messages.query + continueList walk, run on command.
// It polls `<commandUrl>` for work and prints `suivi-bench:<kind> {json}` lines on stdout.

export const BENCH_EXTENSION_ID = 'suivi-bench-floor@suivi-balf.test';
export const BENCH_MARKERS = [
  'suivi-bench:ready',
  'suivi-bench:result',
  'suivi-bench:new',
  'suivi-bench:progress',
  'suivi-bench:error',
] as const;

/** Commands the extension understands (answers of `GET <commandUrl>`). */
export type BenchCommand =
  | { id: number; action: 'idle' }
  /** Waits until the account's folders hold `total` messages, then confirms with a walk. */
  | { id: number; action: 'waitSynced'; total: number }
  | { id: number; action: 'walk' };

export function benchBackground(commandUrl: string): string {
  return `
const print = (kind, o) => console.info('suivi-bench:' + kind + ' ' + JSON.stringify({ at: Date.now(), ...o }));
print('ready', {});
// An event page is only started at Thunderbird start-up when it listens to onStartup (else: at its first event).
messenger.runtime.onStartup.addListener(() => undefined);
messenger.messages.onNewMailReceived.addListener((folder, list) => {
  print('new', { ids: list.messages.map((m) => m.headerMessageId) });
}, true);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function account() {
  for (;;) {
    const found = (await messenger.accounts.list(false)).find((a) => a.type === 'imap');
    if (found) return found;
    await sleep(200);
  }
}
async function folderTotal(accountId) {
  const all = [];
  const rec = (list) => { for (const f of list) { all.push(f); rec(f.subFolders || []); } };
  rec(await messenger.folders.getSubFolders(accountId, true));
  let total = 0;
  for (const f of all) {
    try { total += (await messenger.folders.getFolderInfo(f.id)).totalMessageCount || 0; } catch (e) { /* virtual or gone */ }
  }
  return total;
}
async function walk(accountId) {
  const start = performance.now();
  let page = await messenger.messages.query({ accountId, messagesPerPage: 1000, autoPaginationTimeout: 0 });
  let count = page.messages.length;
  while (page.id) {
    page = await messenger.messages.continueList(page.id);
    count += page.messages.length;
  }
  return { count, ms: Math.round(performance.now() - start) };
}
const done = new Set();
async function run(cmd) {
  const acc = await account();
  if (cmd.action === 'walk') {
    print('result', { id: cmd.id, action: cmd.action, ...(await walk(acc.id)) });
  } else if (cmd.action === 'waitSynced') {
    const start = performance.now();
    for (;;) {
      const total = await folderTotal(acc.id);
      if (total >= cmd.total) {
        const w = await walk(acc.id);
        if (w.count >= cmd.total) {
          print('result', { id: cmd.id, action: cmd.action, count: w.count, walkMs: w.ms, ms: Math.round(performance.now() - start) });
          return;
        }
      }
      print('progress', { id: cmd.id, folders: total });
      await sleep(2000);
    }
  }
}
(async () => {
  for (;;) {
    try {
      const cmd = await (await fetch(${JSON.stringify(commandUrl)})).json();
      if (cmd.action !== 'idle' && !done.has(cmd.id)) {
        done.add(cmd.id);
        await run(cmd);
      }
    } catch (e) {
      print('error', { message: String(e) });
    }
    await sleep(500);
  }
})();
`;
}
