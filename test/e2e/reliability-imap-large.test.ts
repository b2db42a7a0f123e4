// Reliability: a 100,000-message IMAP INBOX back-filled by the real add-on in a real Thunderbird while the
// IMAP server drops every connection several times; each message must reach the receiver exactly once.
import { existsSync } from 'node:fs';
import { appendFile, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import {
  DEFAULT_IMAP_USER,
  ensureImapUser,
  startImapServer,
  type ImapServer,
} from '../support/imap/imap-server.ts';
import {
  closeWaitConnections,
  cutImapSessions,
  imapBytesWritten,
  imapTrafficGrew,
  ownImapProcesses,
} from '../support/imap-large/disconnect.ts';
import {
  idsInThunderbirdInbox,
  writeLargeInbox,
  type LargeInbox,
} from '../support/imap-large/large-maildir.ts';
import { freePort, quitLikeAUser, withMarionetteEnv } from '../support/marionette/thunderbird-ui.ts';
import { restartClient, startClient, type Client } from '../support/thunderbird/client.ts';
import type { AddonStatus } from '../support/thunderbird/console-log.ts';
import { acquirePolicies, managedPolicies, type PoliciesHandle } from '../support/thunderbird/policies.ts';
import { startReceiver, type Receiver } from '../support/thunderbird/receiver.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { buildProductXpi } from '../support/thunderbird/xpi.ts';

const BALF = 'sip.gros-dossier@dgfip.finances.gouv.fr';
const TOKEN = 'jeton-e2e-imap-large';
const SECRET = 'secret-de-deploiement-imap-large';
/** SUIVI_IMAP_LARGE_MESSAGES lowers the size for a quick local try; CI runs the 100,000. */
const COUNT = Number(process.env['SUIVI_IMAP_LARGE_MESSAGES'] ?? 100_000);
/** Fractions of the back-fill (messages in the add-on's ledger) at which the IMAP sessions are cut. */
const CUTS_AT = [0.25, 0.6];
/**
 * Whole run budget: Thunderbird's sync + the add-on's back-fill + header reads + uploads. Thunderbird's own header
 * download and the restarts its stalls force take most of it (measured runs: docs/reliability.md); 45 min keeps
 * `npm test` well inside CI's 90 with the other real-part files running beside it.
 */
const BUDGET_MS = 45 * 60_000;
/**
 * A Thunderbird that neither grows the add-on's ledger nor receives anything from the IMAP server for
 * STALL_MS is stuck; an agent would restart it, and so does the test, at most MAX_RESTARTS times — the
 * add-on must then still count every message once. While the IMAP sessions keep writing, Thunderbird is
 * downloading headers (100,000 take minutes) and is left alone: a restart throws away what it downloaded
 * and has not yet written to its folder database (docs/reliability.md).
 */
const STALL_MS = 2 * 60_000;
/**
 * A Thunderbird that holds no IMAP session for NO_SESSION_MS while the back-fill is not done is stuck too:
 * after a cut, Thunderbird 153 often leaves its connection in CLOSE-WAIT and never reads it again, and
 * reconnects only once restarted (docs/reliability.md).
 */
const NO_SESSION_MS = 45_000;
/**
 * The sure sign of that state: its connection to the IMAP server left in CLOSE-WAIT, and no session alive.
 * Thunderbird closes a dropped connection as soon as it reads it: this long in CLOSE-WAIT, it is stuck, and
 * the agent restarts it without waiting NO_SESSION_MS.
 */
const CLOSE_WAIT_MS = 10_000;
/** How often a wait looks at Thunderbird's IMAP sessions while no status line comes. */
const CHECK_MS = 2_000;
const MAX_RESTARTS = 3;
/** How long a cut waits for the first IMAP session of a Thunderbird it had to restart. */
const RESTART_SESSION_MS = 8 * 60_000;
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

interface Restart {
  atMs: number;
  why: string;
  /** Thunderbird quit from its menu (Marionette) rather than being stopped by signal. */
  quit: boolean;
  ledger: number;
  thunderbirdInboxIds: number;
}

interface Cut {
  atMs: number;
  phase: string;
  ledger: number;
  killed: number;
}

describe('BALF IMAP de 100 000 messages, serveur IMAP qui coupe pendant le rattrapage', () => {
  let work: string;
  let imap: ImapServer | undefined;
  let receiver: Receiver | undefined;
  let policies: PoliciesHandle | undefined;
  let client: Client | undefined;
  let inbox: LargeInbox;

  beforeAll(async () => {
    requireThunderbirdAndDovecot();
    if (!Number.isInteger(COUNT) || COUNT < 100) throw new Error('SUIVI_IMAP_LARGE_MESSAGES : entier ≥ 100');
    work = await mkdtemp(join(tmpdir(), 'suivi-imap-large-'));
    await chmod(work, 0o755);
    imap = await startImapServer({ baseDir: join(work, 'imap') });
    const user = process.getuid?.() === 0 ? ensureImapUser(DEFAULT_IMAP_USER) : null;
    inbox = writeLargeInbox({
      root: imap.maildir.root,
      balf: BALF,
      count: COUNT,
      days: 60,
      ...(user ? { owner: `${user.uid}:${user.gid}` } : {}),
    });
    receiver = await startReceiver({ token: TOKEN });
  }, 10 * 60_000);

  afterAll(async () => {
    await client?.tb.stop();
    policies?.restore();
    await imap?.close();
    await receiver?.close();
    // An `imap` process of the stopped Thunderbird can still be writing Dovecot's index files for a moment
    // (ENOTEMPTY on the Maildir seen at 12:34 UTC on 30 November): retry instead of failing the suite.
    if (work && process.env['SUIVI_E2E_KEEP'] !== '1')
      await rm(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  });

  it(
    'chaque message est téléversé une fois, malgré les coupures IMAP, et le parcours se termine',
    async () => {
      const { id, xpi } = buildProductXpi();
      policies = await acquirePolicies(
        managedPolicies(id, {
          endpoint: receiver!.url,
          token: TOKEN,
          secret: SECRET,
          balfs: [BALF],
          internalDomains: ['dgfip.finances.gouv.fr'],
          department: '75',
          backfillDays: 90,
          uploadIntervalMinutes: 1,
          logLevel: 'debug',
        }),
        { waitMs: 15 * 60_000 },
      );
      // Marionette on: a restart quits Thunderbird as an agent does, so that it keeps what it downloaded.
      const marionettePort = await freePort();
      client = await withMarionetteEnv({}, () =>
        startClient({
          workDir: work,
          imapPort: imap!.port,
          balf: BALF,
          addons: [{ id, xpi }],
          prefs: { 'marionette.port': marionettePort },
        }),
      );
      const started = Date.now();
      const elapsed = (): number => Date.now() - started;
      let lastSeen: AddonStatus | undefined;
      const latest = (): AddonStatus | undefined => {
        lastSeen = (client!.tb.log.latest() as AddonStatus | undefined) ?? lastSeen;
        return lastSeen;
      };
      const cuts: Cut[] = [];
      const restarts: Restart[] = [];
      // Progress for a post-mortem (SUIVI_E2E_KEEP=1 keeps it): the run lasts minutes.
      const trace = (text: string): Promise<void> =>
        appendFile(join(work, 'trace.log'), `${new Date().toISOString()} +${elapsed()} ms ${text}\n`);
      const restart = async (why: string): Promise<void> => {
        const ledger = latest()?.ledger ?? 0;
        const atMs = elapsed();
        const quit = await quitLikeAUser(client!.tb, marionettePort, 60_000);
        restarts.push({
          atMs,
          why,
          quit,
          ledger,
          thunderbirdInboxIds: idsInThunderbirdInbox(client!.profileDir),
        });
        await trace(`registre à ${ledger}, ${why} : Thunderbird ${quit ? 'quitté' : 'arrêté'} et relancé`);
        client = await withMarionetteEnv({}, () => restartClient(client!));
        await trace('Thunderbird relancé');
      };
      /** Since when Thunderbird has held no IMAP session and left a dropped connection in CLOSE-WAIT. */
      let closeWaitSince: number | undefined;
      const stuckInCloseWait = (): boolean => {
        const stuck = ownImapProcesses().length === 0 && closeWaitConnections(imap!.port) > 0;
        closeWaitSince = stuck ? (closeWaitSince ?? Date.now()) : undefined;
        return closeWaitSince !== undefined && Date.now() - closeWaitSince >= CLOSE_WAIT_MS;
      };
      const cut = async (phase: string): Promise<void> => {
        // Between two checks Thunderbird may hold no connection: wait for one, there is nothing to cut.
        for (let i = 0; i < 120 && ownImapProcesses().length === 0 && !stuckInCloseWait(); i += 1)
          await sleep(500);
        if (ownImapProcesses().length === 0 && restarts.length < MAX_RESTARTS) {
          // Still none: Thunderbird is stuck since the previous cut (its connection left in CLOSE-WAIT); an agent
          // would restart it.
          await restart('aucune session IMAP avant une coupure');
          // A Thunderbird loading a profile of 100,000 headers on a busy machine opens its first session only
          // after minutes; a cut made before it would drop nothing.
          const until = Date.now() + Math.min(RESTART_SESSION_MS, BUDGET_MS - elapsed());
          while (ownImapProcesses().length === 0 && Date.now() < until) await sleep(500);
        }
        const killed = cutImapSessions('SIGKILL');
        cuts.push({ atMs: elapsed(), phase, ledger: latest()?.ledger ?? 0, killed });
        await trace(
          `coupure « ${phase} » : ${killed} processus imap tués, registre ${latest()?.ledger ?? 0}`,
        );
        // No wait for a new session here: Thunderbird may go on over a connection that survived, or open a new
        // one later; what must hold is that the back-fill goes on, which the next wait checks (restarting a
        // Thunderbird whose sync stalled, see STALL_MS).
      };
      /** Waits for a status, restarting a Thunderbird whose sync stalled (see STALL_MS). */
      const waitStatus = async (accept: (s: AddonStatus) => boolean, what: string): Promise<AddonStatus> => {
        let ledger = latest()?.ledger ?? 0;
        let traffic = imapBytesWritten();
        let grewAt = Date.now();
        let sessionSeenAt = Date.now();
        for (;;) {
          const remaining = BUDGET_MS - elapsed();
          if (remaining <= 0) throw new Error(`${what} : budget de ${BUDGET_MS / 60_000} min épuisé`);
          try {
            return await client!.tb.log.waitFor<AddonStatus>(accept, {
              what,
              timeoutMs: Math.min(remaining, CHECK_MS),
            });
          } catch (error) {
            if (!/timeout|délai|within/i.test(String((error as Error).message))) throw error;
          }
          const now = latest()?.ledger ?? 0;
          // A Thunderbird still starting (no status line yet: loading a profile of 100,000 headers on a busy
          // machine takes minutes) is not judged: its clocks start with its first status line.
          if (client!.tb.log.latest() === undefined) grewAt = sessionSeenAt = Date.now();
          if (ownImapProcesses().length > 0) sessionSeenAt = Date.now();
          const trafficNow = imapBytesWritten();
          const downloading = imapTrafficGrew(traffic, trafficNow);
          traffic = trafficNow;
          if (now > ledger || downloading) {
            ledger = Math.max(ledger, now);
            grewAt = Date.now();
          }
          if (now < COUNT && restarts.length < MAX_RESTARTS) {
            const why = stuckInCloseWait()
              ? `connexion IMAP en CLOSE-WAIT depuis ${CLOSE_WAIT_MS / 1000} s, aucune session`
              : Date.now() - sessionSeenAt > NO_SESSION_MS
                ? `aucune session IMAP depuis ${NO_SESSION_MS / 1000} s`
                : Date.now() - grewAt > STALL_MS
                  ? `aucun octet IMAP ni relevé nouveau depuis ${STALL_MS / 60_000} min`
                  : null;
            if (why) {
              await restart(why);
              grewAt = sessionSeenAt = Date.now();
              closeWaitSince = undefined;
            }
          }
        }
      };
      let peakRss = 0;
      const sampler = setInterval(() => {
        void client!.tb.memory().then((rss) => (peakRss = Math.max(peakRss, rss)));
      }, 2000);
      const milestones: Record<string, number> = {};

      try {
        // Cut 1: while Thunderbird downloads the headers, once it has opened INBOX (Dovecot wrote its
        // uidlist). Cut earlier (at login), Thunderbird 153 did not reconnect in 5 min (docs/reliability.md).
        const uidlist = join(imap!.maildir.root, 'dovecot-uidlist');
        while (ownImapProcesses().length === 0 || !existsSync(uidlist)) {
          if (elapsed() > 5 * 60_000) throw new Error('Thunderbird n’a pas ouvert INBOX en 5 min');
          await sleep(200);
        }
        milestones['inboxOpenedMs'] = elapsed();
        await trace('INBOX ouverte par Thunderbird');
        await sleep(3000);
        await cut('synchronisation des en-têtes');
        // Cuts 2…: during the add-on's walk, at fixed fractions of the ledger.
        for (const fraction of CUTS_AT) {
          await waitStatus(
            (s) => s.ledger >= COUNT * fraction,
            `registre à ${Math.round(fraction * 100)} % (${COUNT * fraction})`,
          );
          await cut(`rattrapage à ${Math.round(fraction * 100)} %`);
        }
        const allCounted = await waitStatus(
          (s) => s.ledger >= COUNT,
          `les ${COUNT} messages dans le registre`,
        );
        milestones['allCountedMs'] = elapsed();
        await trace('tout est dans le registre');
        expect(allCounted.ledger).toBe(COUNT);
        await receiver!.waitFor(
          (records) => records.length >= COUNT,
          `${COUNT} enregistrements`,
          BUDGET_MS - elapsed(),
        );
        milestones['allUploadedMs'] = elapsed();
        const done = await waitStatus(
          // The ledger condition skips earlier "complete" claims made while Thunderbird was still syncing.
          (s) =>
            s.scanComplete &&
            !s.scanning &&
            s.queue === 0 &&
            s.lastUpload === 'ok' &&
            s.ledger >= COUNT &&
            s.unrefined === 0,
          'parcours terminé et file vide',
        );
        milestones['scanCompleteMs'] = elapsed();
        await trace('parcours terminé, file vide');
        // Nothing more arrives afterwards (a late re-send would be a duplicate).
        const batchesBefore = receiver!.batches.length;
        await sleep(20_000);

        const uploads = receiver!.batches.flatMap((b) => b.records.map((r) => r.k));
        const distinct = new Set(uploads);
        const expected = new Set(await Promise.all(inbox.ids.map((mid) => messageKey(SECRET, mid))));

        expect(receiver!.invalid).toEqual([]);
        expect(cuts.length).toBe(1 + CUTS_AT.length);
        // Every cut really dropped live sessions (the counts above prove the back-fill went on after each).
        for (const c of cuts) expect(c.killed, c.phase).toBeGreaterThan(0);
        expect(done.scanComplete).toBe(true);
        expect(done.ledger).toBe(COUNT);
        expect(receiver!.batches.length).toBe(batchesBefore);
        expect(distinct.size).toBe(COUNT);
        // A row counted from the list while Thunderbird could not stream it is sent, then sent again once its
        // headers are read (hdr: issue 22); never more.
        const sends = new Map<string, { hdr?: boolean | undefined }[]>();
        for (const b of receiver!.batches)
          for (const r of b.records) sends.set(r.k, [...(sends.get(r.k) ?? []), r]);
        expect(
          [...sends.values()].filter((list) => list.length > 2).length,
          'clés téléversées plus de deux fois',
        ).toBe(0);
        expect([...sends.values()].filter((list) => list.at(-1)?.hdr !== true).length).toBe(done.unverified);
        expect([...expected].filter((k) => !distinct.has(k))).toEqual([]);
        expect(receiver!.records().every((r) => r.dir === 'in' && r.cat === 'usager')).toBe(true);
      } finally {
        clearInterval(sampler);
        // The figures of docs/reliability.md, written whether the run passed or not.
        const uploads = receiver!.batches.flatMap((b) => b.records.map((r) => r.k));
        const figures = {
          messages: COUNT,
          generationMs: inbox.ms,
          elapsedMs: elapsed(),
          ...milestones,
          cuts,
          restarts,
          imapSessions: imap!.sessions(),
          thunderbirdInboxIds: idsInThunderbirdInbox(client.profileDir),
          uploadRequests: receiver!.requests.length,
          uploadStatuses: receiver!.requests.map((r) => r.status).join(','),
          batches: receiver!.batches.length,
          recordsSent: uploads.length,
          distinctKeys: new Set(uploads).size,
          peakRssMiB: Math.round(peakRss / 2 ** 20),
          lastStatus: latest(),
        };
        await trace(`chiffres ${JSON.stringify(figures)}`);
        if (process.env['SUIVI_IMAP_LARGE_REPORT']) {
          await writeFile(process.env['SUIVI_IMAP_LARGE_REPORT'], `${JSON.stringify(figures, null, 2)}\n`);
        }
      }
    },
    BUDGET_MS + 5 * 60_000,
  );
});
