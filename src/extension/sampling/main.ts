// Sampling page entry: wires Thunderbird's APIs, the ledger and the audit trail into the panel.
import { newSeed } from '../../core/sampling.ts';
import { balfAddressOf, loadConfig } from '../config.ts';
import { localize } from '../i18n.ts';
import { Ledger, openLedgerDb } from '../ledger.ts';
import { platformMessenger } from '../platform.ts';
import { AuditTrail, openAuditDb } from './audit.ts';
import { SamplingPanel } from './panel.ts';
import { OPEN_MARKER } from './trace.ts';
import { openByMessageId } from './thunderbird.ts';

const m = platformMessenger();
const t = (name: string, subs?: string | string[]) => m.i18n.getMessage(name, subs);
localize(document, t);

function download(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function start(): Promise<void> {
  const [{ config }, ledgerDb, auditDb] = await Promise.all([
    loadConfig({ managed: m.storage.managed, local: m.storage.local }),
    openLedgerDb(),
    openAuditDb(),
  ]);
  const ledger = new Ledger(ledgerDb);
  // Configured BALFs, plus those the ledger holds that still match the configuration (pattern-only setups).
  const known = (await ledger.balfs()).filter((b) => balfAddressOf(config, [{ email: b }]) !== undefined);
  const balfs = [...new Set([...config.balfs, ...known])].sort();
  const panel = new SamplingPanel({
    doc: document,
    t,
    config,
    balfs,
    ledger,
    audit: new AuditTrail(auditDb),
    openMessage: (id) => openByMessageId(m, id),
    clock: () => new Date(),
    uuid: () => crypto.randomUUID(),
    newSeed: () => newSeed(),
    fetch: (input, init) => fetch(input, init),
    client: async () => ({
      id: (await ledger.getMeta<string>('installId')) ?? 'inconnu',
      addon: m.runtime.getManifest().version,
      thunderbird: (await m.runtime.getBrowserInfo()).version,
    }),
    download,
    print: () => window.print(),
    ...(config.logLevel === 'debug' ? { trace: (line: string) => console.info(line) } : {}),
  });
  const params = new URLSearchParams(location.search);
  await panel.init(params);
  if (config.logLevel === 'debug' && params.get('open') === '1') await openProbe(panel);
}

/**
 * Debug only (`open=1` in the URL): opens the first sampled message and the first reply through the same
 * calls as the buttons, and prints what happened — the real-Thunderbird test reads it.
 */
async function openProbe(panel: SamplingPanel): Promise<void> {
  const rows = panel.draw?.rows ?? [];
  const replyId = rows.find((r) => r.reply?.headerMessageId)?.reply?.headerMessageId;
  const result = {
    message: rows[0] ? await openByMessageId(m, rows[0].headerMessageId) : null,
    reply: replyId ? await openByMessageId(m, replyId) : null,
  };
  console.info(`${OPEN_MARKER} ${JSON.stringify(result)}`);
}

start().catch((error: unknown) => {
  const out = document.getElementById('feedback');
  if (out) out.textContent = t('errorGeneric', error instanceof Error ? error.message : String(error));
  console.error('suivi-balf sampling:', error);
});
