// A tiny extension that measures the floor: a bare messages.query + continueList walk, run on command.
// It polls `<commandUrl>` for work and prints `suivi-bench:<kind> {json}` lines on stdout.

export const BENCH_EXTENSION_ID = 'suivi-bench-floor@suivi-balf.test';
export const BENCH_MARKERS = [
  'suivi-bench:ready',
  'suivi-bench:result',
  'suivi-bench:new',
  'suivi-bench:progress',
  'suivi-bench:error',
  'suivi-bench:folder',
] as const;

/** Commands the extension understands (answers of `GET <commandUrl>`). */
export type BenchCommand =
  | { id: number; action: 'idle' }
  /** Waits until the account's folders hold `total` messages, then confirms with a walk. */
  | { id: number; action: 'waitSynced'; total: number }
  | { id: number; action: 'walk' }
  /** Times header reads of sent messages: getFull (one at a time, 8 at once, without body decoding) and getRaw. */
  | { id: number; action: 'headers'; per: number };

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
// Thunderbird's own delay: when each folder's messages become visible to the API after start-up
// (messages.list answers a first message), with the count its folder info gives at that moment.
async function probeFolders() {
  const start = Date.now();
  const acc = await account();
  const seen = new Map();
  while (Date.now() - start < 180000) {
    const all = [];
    const rec = (list) => { for (const f of list) { all.push(f); rec(f.subFolders || []); } };
    try { rec(await messenger.folders.getSubFolders(acc.id, true)); } catch (e) { /* not listed yet */ }
    let sentListed = false;
    for (const f of all) {
      let info = null;
      try { info = (await messenger.folders.getFolderInfo(f.id)).totalMessageCount; } catch (e) { /* virtual */ }
      let listed = 0;
      // One page, then the list is aborted: Thunderbird converts a listed folder's every message in the
      // background, whether the pages are read or not (25,000 conversions at each probe, on the main thread
      // the back-fill being measured runs on: ~14 s of it at 25,000 messages, seen in a Gecko profile).
      try {
        const page = await messenger.messages.list(f.id);
        listed = page.messages.length;
        if (page.id) await messenger.messages.abortList(page.id);
      } catch (e) { /* not ready */ }
      const state = info + '/' + (listed > 0);
      if (seen.get(f.path) !== state) {
        seen.set(f.path, state);
        print('folder', { path: f.path, info, listed: listed > 0 });
      }
      if (listed > 0 && (f.specialUse || []).includes('sent')) sentListed = true;
    }
    if (sentListed) return;
    await sleep(250);
  }
}
probeFolders().catch((e) => print('error', { message: 'probe: ' + String(e) }));
async function timed(ids, concurrency, read) {
  const start = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < ids.length) await read(ids[next++]);
  }));
  return Math.round(((performance.now() - start) / Math.max(1, ids.length)) * 100) / 100;
}
async function headers(accountId, per) {
  const all = [];
  const rec = (list) => { for (const f of list) { all.push(f); rec(f.subFolders || []); } };
  rec(await messenger.folders.getSubFolders(accountId, true));
  const sent = all.find((f) => (f.specialUse || []).includes('sent'));
  const ids = [];
  let page = await messenger.messages.query({ accountId, folderId: sent.id, messagesPerPage: 1000, autoPaginationTimeout: 0 });
  ids.push(...page.messages.map((m) => m.id));
  while (page.id && ids.length < per * 5) {
    page = await messenger.messages.continueList(page.id);
    ids.push(...page.messages.map((m) => m.id));
  }
  if (page.id) await messenger.messages.abortList(page.id);
  const set = (i) => ids.slice(i * per, (i + 1) * per);
  // Distinct messages per variant: a message read once may be cached.
  return {
    per,
    getFullSerialMs: await timed(set(0), 1, (id) => messenger.messages.getFull(id)),
    getFull8Ms: await timed(set(1), 8, (id) => messenger.messages.getFull(id)),
    getFull16Ms: await timed(set(2), 16, (id) => messenger.messages.getFull(id)),
    getFullNoDecode8Ms: await timed(set(3), 8, (id) => messenger.messages.getFull(id, { decodeContent: false })),
    getRaw8Ms: await timed(set(4), 8, (id) => messenger.messages.getRaw(id)),
  };
}
const done = new Set();
async function run(cmd) {
  const acc = await account();
  if (cmd.action === 'headers') {
    print('result', { id: cmd.id, action: cmd.action, ...(await headers(acc.id, cmd.per)) });
  } else if (cmd.action === 'walk') {
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
