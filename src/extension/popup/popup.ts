// Popup entry: asks the background for the summary and renders it.
import { localize } from '../i18n.ts';
import { platformMessenger } from '../platform.ts';
import { ask } from '../runtime-messages.ts';
import { renderPopup } from './popup-view.ts';

const m = platformMessenger();
const t = (name: string, subs?: string | string[]) => m.i18n.getMessage(name, subs);
localize(document, t);

document.getElementById('open-options')?.addEventListener('click', () => void m.runtime.openOptionsPage());
const sampling = document.getElementById('open-sampling');
if (sampling) {
  // The sampling panel ships separately: show its link only when the page exists in this build.
  const url = m.runtime.getURL('sampling/sampling.html');
  fetch(url)
    .then((r) => {
      if (r.ok) {
        sampling.hidden = false;
        sampling.addEventListener('click', () => void m.tabs.create({ url }));
      }
    })
    .catch(() => undefined);
}

const send = m.runtime.sendMessage.bind(m.runtime);
// The background opens the message: the popup closes as the tab opens, the background's work goes on.
const open = async (headerMessageId: string) =>
  (await ask(send, { type: 'popup/open-message', headerMessageId })).result;

ask(send, { type: 'popup/summary' })
  .then((data) => renderPopup(document, t, data, open))
  .catch((error: unknown) => {
    const main = document.getElementById('balfs');
    if (main) main.textContent = t('errorGeneric', error instanceof Error ? error.message : String(error));
  });
