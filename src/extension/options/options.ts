// Options page entry: state, local configuration, send now, CSV export, purge.
import { localize } from '../i18n.ts';
import { platformMessenger } from '../platform.ts';
import { ask } from '../runtime-messages.ts';
import { readForm, renderForm, renderState } from './options-view.ts';

const m = platformMessenger();
const t = (name: string, subs?: string | string[]) => m.i18n.getMessage(name, subs);
const send = m.runtime.sendMessage.bind(m.runtime);
localize(document, t);

const feedback = (text: string) => {
  const out = document.getElementById('feedback');
  if (out) out.textContent = text;
};

async function refresh(withForm: boolean): Promise<void> {
  const state = await ask(send, { type: 'options/state' });
  renderState(document, t, state);
  if (withForm) renderForm(document, t, state);
}

function onClick(id: string, fn: () => Promise<void>): void {
  document.getElementById(id)?.addEventListener('click', () => {
    fn().catch((error: unknown) =>
      feedback(t('errorGeneric', error instanceof Error ? error.message : String(error))),
    );
  });
}

onClick('send-now', async () => {
  feedback(t('optionsSending'));
  const result = await ask(send, { type: 'upload/now' });
  feedback(t(`upload_${result.result}`) + (result.message ? ` (${result.message})` : ''));
  await refresh(false);
});
onClick('scan-now', async () => {
  feedback(t('optionsScanning'));
  const result = await ask(send, { type: 'scan/now' });
  feedback(t('optionsScanDone', String(result.added)));
  await refresh(false);
});
onClick('export-csv', async () => {
  const { csv, filename } = await ask(send, { type: 'ledger/export-csv' });
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
});
onClick('purge', async () => {
  if (!window.confirm(t('optionsPurgeConfirm'))) return;
  await ask(send, { type: 'ledger/purge' });
  feedback(t('optionsPurged'));
  await refresh(false);
});
document.getElementById('local-form')?.addEventListener('submit', (event) => {
  event.preventDefault();
  const values = readForm(event.target as HTMLFormElement);
  ask(send, { type: 'options/save-local', values })
    .then(async ({ errors }) => {
      feedback(errors.length ? t('optionsSavedWithErrors', String(errors.length)) : t('optionsSaved'));
      await refresh(false);
    })
    .catch((error: unknown) => feedback(t('errorGeneric', String(error))));
});

refresh(true).catch((error: unknown) => feedback(t('errorGeneric', String(error))));
