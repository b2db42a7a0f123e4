// Proves the real-Thunderbird harness on its own, with a small probe extension instead of the product add-on:
// IMAP over Dovecot, profile and sideloading, policies.json → storage.managed, console → stdout, HTTP receiver.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImapServer, type ImapServer } from '../support/imap/imap-server.ts';
import { buildMessage } from '../support/imap/messages.ts';
import { startClient, type Client } from '../support/thunderbird/client.ts';
import {
  acquirePolicies,
  managedPolicies,
  POLICIES_PATH,
  type PoliciesHandle,
} from '../support/thunderbird/policies.ts';
import { startReceiver, type Receiver } from '../support/thunderbird/receiver.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { packTestExtension } from '../support/thunderbird/xpi.ts';

const PROBE_ID = 'probe-harness@suivi-balf.test';
const BALF = 'sip.test@dgfip.finances.gouv.fr';
const TOKEN = 'jeton-de-test';

/** The probe's key: the same recipe in the probe and here, independent of the product's keys. */
function probeKey(messageId: string): string {
  return createHash('sha256').update(messageId).digest('base64url').slice(0, 22);
}

const PROBE_BACKGROUND = `
const status = (o) => console.info('suivi-balf:status ' + JSON.stringify({ scanComplete: false, scanning: false, queue: 0, ledger: 0, lastUpload: 'none', ...o }));
const key = async (id) => {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id)));
  return btoa(String.fromCharCode(...digest)).replaceAll('+', '-').replaceAll('/', '_').slice(0, 22);
};
const config = messenger.storage.managed.get(null);
async function upload(messages) {
  const cfg = await config;
  const records = [];
  for (const m of messages) {
    const sent = m.folder && (m.folder.specialUse || []).includes('sent');
    records.push({ k: await key(m.headerMessageId), dir: sent ? 'out' : 'in', at: new Date(m.date).toISOString(), cat: sent ? 'new' : 'usager' });
  }
  const body = { schema: 1, batchId: crypto.randomUUID(), client: { id: 'probe', addon: '0', thunderbird: 'test' }, balf: cfg.balfs[0], records };
  const res = await fetch(cfg.endpoint + '/api/v1/tallies', { method: 'POST', headers: { authorization: 'Bearer ' + cfg.token, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.ok ? 'ok' : 'error';
}
messenger.messages.onNewMailReceived.addListener(async (folder, list) => {
  status({ phase: 'new', scanComplete: true, lastUpload: await upload(list.messages) });
}, true);
(async () => {
  const cfg = await config;
  status({ phase: 'config', config: cfg });
  const account = (await messenger.accounts.list()).find((a) => a.type === 'imap');
  for (;;) {
    let page = await messenger.messages.query({ accountId: account.id, messagesPerPage: 100, autoPaginationTimeout: 0 });
    const all = [...page.messages];
    while (page.id) { page = await messenger.messages.continueList(page.id); all.push(...page.messages); }
    if (all.length >= cfg.expected) {
      status({ phase: 'scanned', scanComplete: true, ledger: all.length, lastUpload: await upload(all) });
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
})().catch((e) => console.error('probe: ' + e));
`;

describe('harnais Thunderbird réel (extension sonde)', () => {
  let work: string;
  let imap: ImapServer;
  let receiver: Receiver;
  let policies: PoliciesHandle | null = null;
  let client: Client | null = null;
  const expected = new Map<string, 'in' | 'out'>();

  beforeAll(async () => {
    requireThunderbirdAndDovecot();
    work = await mkdtemp(join(tmpdir(), 'suivi-harness-'));
    await chmod(work, 0o755);
    imap = await startImapServer({
      baseDir: join(work, 'imap'),
      folders: ['Sent', 'Dossiers', 'Dossiers.Urgent'],
    });
    const now = Date.now();
    const place = [
      ['INBOX', 'in'],
      ['Sent', 'out'],
      ['Dossiers.Urgent', 'in'],
    ] as const;
    for (let i = 0; i < 9; i += 1) {
      const [folder, dir] = place[i % 3]!;
      const id = `harness-${i}@exemple.fr`;
      const date = new Date(now - (i + 1) * 3_600_000);
      const from = dir === 'out' ? BALF : `usager${i}@exemple.fr`;
      const to = dir === 'out' ? `usager${i}@exemple.fr` : BALF;
      await imap.maildir.add(
        folder,
        buildMessage({ messageId: id, date, from, to, subject: `Demande ${i}` }),
        {
          receivedAt: date,
        },
      );
      expected.set(probeKey(id), dir);
    }
    receiver = await startReceiver({ token: TOKEN });
    policies = await acquirePolicies(
      managedPolicies(PROBE_ID, { endpoint: receiver.url, token: TOKEN, balfs: [BALF], expected: 9 }),
      { waitMs: 15 * 60_000 },
    );
    const xpi = await packTestExtension(work, {
      id: PROBE_ID,
      name: 'probe-harness',
      background: PROBE_BACKGROUND,
      permissions: ['accountsRead', 'messagesRead', 'storage'],
      hostPermissions: ['http://127.0.0.1/*'],
    });
    client = await startClient({
      workDir: work,
      imapPort: imap.port,
      balf: BALF,
      addons: [{ id: PROBE_ID, xpi }],
    });
  }, 20 * 60_000);

  afterAll(async () => {
    await client?.tb.stop();
    policies?.restore();
    await imap?.close();
    await receiver?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('lit la configuration gérée écrite dans policies.json', async () => {
    const status = await client!.tb.log.waitFor<{ phase: string; config: Record<string, unknown> }>(
      (s) => s.phase === 'config',
      { what: 'configuration lue par la sonde', timeoutMs: 60_000 },
    );
    expect(status.config).toEqual({ endpoint: receiver.url, token: TOKEN, balfs: [BALF], expected: 9 });
  });

  it('voit INBOX, Sent et un sous-dossier, et téléverse au récepteur', async () => {
    await client!.tb.log.waitFor((s) => s.scanComplete && s.lastUpload === 'ok', {
      what: 'parcours complet et envoi',
      timeoutMs: 90_000,
    });
    const received = new Map(receiver.records().map((r) => [r.k, r.dir]));
    expect(received).toEqual(expected);
    expect(receiver.invalid).toEqual([]);
    expect(receiver.records().every((r) => r.balf === BALF)).toBe(true);
  });

  it('remonte un message déposé dans le Maildir pendant que Thunderbird tourne', async () => {
    const id = 'harness-drop@exemple.fr';
    await imap.maildir.add(
      'INBOX',
      buildMessage({
        messageId: id,
        date: new Date(),
        from: 'tardif@exemple.fr',
        to: BALF,
        subject: 'Arrivé après',
      }),
      { state: 'new' },
    );
    await receiver.waitFor((records) => records.some((r) => r.k === probeKey(id)), 'message déposé', 60_000);
  });

  it('remet policies.json dans son état antérieur', async () => {
    await client!.tb.stop();
    const before = policies!.previous;
    policies!.restore();
    policies = null;
    const after = existsSync(POLICIES_PATH) ? readFileSync(POLICIES_PATH, 'utf8') : null;
    expect(after).toBe(before);
    expect(existsSync(`${POLICIES_PATH}.suivi-test-backup`)).toBe(false);
  });
});
