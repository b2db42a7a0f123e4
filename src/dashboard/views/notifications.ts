// « Mes notifications » page: the user's subscriptions to the weekly digest and « en retard » alerts, and the form that adds or changes one.
import type { Level } from '../../core/protocol.ts';
import {
  ApiError,
  type NotificationSettings,
  type NotificationSubscription,
  type SubscriptionInput,
} from '../api.ts';
import { alertBox, h, replaceChildren } from '../dom.ts';
import { subscriptionsTable, valueOf } from './notification-list.ts';

/** What the page asks of the server (the dashboard's `Api`, or a fake in tests). */
export interface NotificationsClient {
  notifications(): Promise<NotificationSettings>;
  saveSubscription(input: SubscriptionInput): Promise<NotificationSubscription>;
  removeSubscription(id: string): Promise<void>;
}

/** A node the user may subscribe to: their scope, then its children. */
export interface NodeOption {
  level: Level;
  id: string;
  label: string;
}

/** One of the server's reasons for refusing (`details` of a 400): the body's path and a French message. */
interface FieldError {
  path: string;
  message: string;
}

/** The fields whose server errors are shown under the field itself (the others in the alert only). */
const FIELDS = { email: 'notif-email', alertThreshold: 'notif-threshold' } as const;

function inputGroup(id: string, label: string, hint: string, input: HTMLInputElement): HTMLElement {
  input.setAttribute('aria-describedby', `${id}-messages`);
  return h(
    'div',
    { class: 'fr-fieldset__element' },
    h(
      'div',
      { class: 'fr-input-group', id: `${id}-group` },
      h('label', { class: 'fr-label', for: id }, label, h('span', { class: 'fr-hint-text' }, hint)),
      input,
      h('div', { class: 'fr-messages-group', id: `${id}-messages`, 'aria-live': 'polite' }),
    ),
  );
}

/** Marks the fields the server named (`details[].path`) with their message; clears the others. */
function showFieldErrors(form: HTMLElement, details: FieldError[]): void {
  for (const [path, id] of Object.entries(FIELDS)) {
    const message = details.find((d) => d.path === path)?.message;
    form.querySelector(`#${id}-group`)?.classList.toggle('fr-input-group--error', message !== undefined);
    form.querySelector(`#${id}`)?.setAttribute('aria-invalid', String(message !== undefined));
    const messages = form.querySelector(`#${id}-messages`);
    if (messages)
      replaceChildren(
        messages,
        message === undefined ? null : h('p', { class: 'fr-message fr-message--error' }, message),
      );
  }
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

function detailsOf(error: unknown): FieldError[] {
  if (!(error instanceof ApiError)) return [];
  const details = (error.details as { details?: unknown } | undefined)?.details;
  if (!Array.isArray(details)) return [];
  return details.flatMap((d: { path?: unknown; message?: unknown }) =>
    typeof d.path === 'string' && typeof d.message === 'string' ? [{ path: d.path, message: d.message }] : [],
  );
}

/** The page. With e-mail off on the server, only its reason: there is nothing to subscribe to. */
export function renderNotifications(
  client: NotificationsClient,
  settings: NotificationSettings,
  nodes: NodeOption[],
): HTMLElement {
  const title = h('h1', { tabindex: -1, id: 'page-title' }, 'Mes notifications');
  const intro = h(
    'p',
    {},
    'Recevez par courriel la synthèse hebdomadaire d’un périmètre (le lundi à 7 h) et une alerte quand ' +
      'son nombre de messages « en retard » atteint un seuil (une alerte par jour au plus). Chaque courriel ' +
      'contient un lien de désabonnement en un clic.',
  );
  if (!settings.enabled)
    return h(
      'div',
      { id: 'notifications-page' },
      title,
      intro,
      h(
        'div',
        { id: 'notif-disabled' },
        alertBox(
          'info',
          'Courriels indisponibles',
          settings.reason ?? 'Ce serveur n’envoie pas de courriel.',
        ),
      ),
    );

  let subscriptions = settings.subscriptions;
  const list = h('div', { id: 'notif-list' });
  const feedback = h('div', { id: 'notif-feedback' });
  const node = h(
    'select',
    { class: 'fr-select', id: 'notif-node', name: 'node', 'aria-describedby': 'notif-node-hint' },
    nodes.map((n, i) =>
      h('option', { value: valueOf(n.level, n.id) }, i === 0 ? `${n.label} (tout votre périmètre)` : n.label),
    ),
  );
  const email = h('input', {
    class: 'fr-input',
    id: 'notif-email',
    name: 'email',
    type: 'email',
    autocomplete: 'email',
    required: true,
    spellcheck: 'false',
  });
  const digest = h('input', { type: 'checkbox', id: 'notif-digest', name: 'digest', checked: true });
  const threshold = h('input', {
    class: 'fr-input',
    id: 'notif-threshold',
    name: 'alertThreshold',
    type: 'number',
    min: 1,
    step: 1,
    inputmode: 'numeric',
  });
  const form = h(
    'form',
    { id: 'notif-form', novalidate: true },
    h(
      'fieldset',
      { class: 'fr-fieldset' },
      h('legend', { class: 'fr-fieldset__legend' }, 'S’abonner, ou changer un abonnement'),
      h(
        'div',
        { class: 'fr-fieldset__element' },
        h(
          'div',
          { class: 'fr-select-group' },
          h(
            'label',
            { class: 'fr-label', for: 'notif-node' },
            'Périmètre suivi',
            h(
              'span',
              { class: 'fr-hint-text', id: 'notif-node-hint' },
              'Un abonnement par périmètre : enregistrer pour un périmètre déjà suivi remplace son abonnement.',
            ),
          ),
          node,
        ),
      ),
      inputGroup('notif-email', 'Adresse électronique', 'Format attendu : nom@domaine.fr', email),
      h(
        'div',
        { class: 'fr-fieldset__element' },
        h(
          'div',
          { class: 'fr-checkbox-group' },
          digest,
          h('label', { class: 'fr-label', for: 'notif-digest' }, 'Recevoir la synthèse hebdomadaire'),
        ),
      ),
      inputGroup(
        'notif-threshold',
        'Seuil d’alerte « en retard » (facultatif)',
        'Nombre entier, au moins 1. Laissez vide pour ne pas recevoir d’alerte.',
        threshold,
      ),
      h(
        'div',
        { class: 'fr-fieldset__element' },
        h('button', { class: 'fr-btn', type: 'submit', id: 'notif-submit' }, 'Enregistrer l’abonnement'),
      ),
    ),
  );

  const say = (box: HTMLElement) => {
    box.setAttribute('tabindex', '-1');
    replaceChildren(feedback, box);
    box.focus();
  };
  const fail = (title: string, message: string, details: FieldError[]) => {
    const box = alertBox('error', title, message);
    if (details.length > 0)
      box.append(
        h(
          'ul',
          {},
          details.map((d) => h('li', {}, d.message)),
        ),
      );
    say(box);
  };
  const refresh = async () => {
    subscriptions = (await client.notifications()).subscriptions;
    replaceChildren(list, subscriptionsTable(subscriptions, remove));
  };
  const remove = (s: NotificationSubscription) => {
    void (async () => {
      try {
        await client.removeSubscription(s.id);
        await refresh();
        say(
          alertBox(
            'success',
            'Désabonnement enregistré',
            `Vous ne recevrez plus de courriel pour « ${s.label} ».`,
          ),
        );
      } catch (error) {
        fail('Désabonnement impossible', messageOf(error), []);
      }
    })();
  };
  // Choosing a node already followed shows its current settings, so that saving changes them knowingly.
  node.addEventListener('change', () => {
    const [level, ...rest] = node.value.split(':');
    const current = subscriptions.find((s) => s.level === level && s.subjectId === rest.join(':'));
    if (current === undefined) return;
    email.value = current.email;
    digest.checked = current.digest;
    threshold.value = current.alertThreshold === null ? '' : String(current.alertThreshold);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = nodes.find((n) => valueOf(n.level, n.id) === node.value);
    if (chosen === undefined) return;
    const raw = threshold.value.trim();
    // The browser empties a number field holding text: the server's checks then apply to what was typed.
    const typed = raw === '' && threshold.validity.badInput ? Number.NaN : raw === '' ? null : Number(raw);
    if (typed !== null && !Number.isFinite(typed)) {
      const details = [{ path: 'alertThreshold', message: 'nombre entier attendu' }];
      showFieldErrors(form, details);
      return fail('Abonnement non enregistré', 'Abonnement invalide.', details);
    }
    const submit = form.querySelector('#notif-submit') as HTMLButtonElement;
    submit.disabled = true;
    void (async () => {
      try {
        const saved = await client.saveSubscription({
          level: chosen.level,
          id: chosen.id,
          email: email.value.trim(),
          digest: digest.checked,
          alertThreshold: typed,
        });
        showFieldErrors(form, []);
        await refresh();
        say(
          alertBox(
            'success',
            'Abonnement enregistré',
            `Notifications de « ${saved.label} » envoyées à ${saved.email}.`,
          ),
        );
      } catch (error) {
        const details = detailsOf(error);
        showFieldErrors(form, details);
        fail('Abonnement non enregistré', messageOf(error), details);
      } finally {
        submit.disabled = false;
      }
    })();
  });

  replaceChildren(list, subscriptionsTable(subscriptions, remove));
  return h(
    'div',
    { id: 'notifications-page' },
    title,
    intro,
    list,
    h('h2', {}, 'Ajouter ou modifier'),
    feedback,
    form,
  );
}
