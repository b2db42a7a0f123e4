// @vitest-environment happy-dom
// « Mes notifications »: the server's reason when e-mail is off, the subscriptions table, saving, the server's errors, unsubscribing.
import { describe, expect, it } from 'vitest';
import {
  ApiError,
  type NotificationSettings,
  type NotificationSubscription,
  type SubscriptionInput,
} from '../../src/dashboard/api.ts';
import {
  renderNotifications,
  type NodeOption,
  type NotificationsClient,
} from '../../src/dashboard/views/notifications.ts';

const REASON = 'Notifications par courriel désactivées : SUIVI_SMTP_URL n’est pas défini sur le serveur.';

const NODES: NodeOption[] = [
  { level: 'department', id: '75', label: 'Paris' },
  { level: 'service', id: 'SIP-A', label: 'SIP Paris A' },
  { level: 'service', id: 'SIP-B', label: 'SIP Paris B' },
];

const existing: NotificationSubscription = {
  id: 'sub-1',
  level: 'service',
  subjectId: 'SIP-B',
  label: 'SIP Paris B',
  email: 'chef.b@dgfip.finances.gouv.fr',
  digest: false,
  alertThreshold: 3,
  inScope: true,
};

/** Keeps subscriptions in memory like the server (one per node); `refuse` makes the next save fail. */
class FakeClient implements NotificationsClient {
  saved: SubscriptionInput[] = [];
  refuse: ApiError | null = null;
  constructor(public subscriptions: NotificationSubscription[]) {}

  notifications(): Promise<NotificationSettings> {
    return Promise.resolve({ enabled: true, reason: null, subscriptions: [...this.subscriptions] });
  }

  saveSubscription(input: SubscriptionInput): Promise<NotificationSubscription> {
    this.saved.push(input);
    if (this.refuse) return Promise.reject(this.refuse);
    const label = NODES.find((n) => n.id === input.id)?.label ?? input.id;
    const s: NotificationSubscription = {
      id: `sub-${input.id}`,
      level: input.level,
      subjectId: input.id,
      label,
      email: input.email,
      digest: input.digest,
      alertThreshold: input.alertThreshold,
      inScope: true,
    };
    this.subscriptions = [...this.subscriptions.filter((x) => x.subjectId !== input.id), s];
    return Promise.resolve(s);
  }

  removeSubscription(id: string): Promise<void> {
    if (!this.subscriptions.some((s) => s.id === id))
      return Promise.reject(new ApiError(404, `Abonnement introuvable : ${id}.`));
    this.subscriptions = this.subscriptions.filter((s) => s.id !== id);
    return Promise.resolve();
  }
}

function mount(client: FakeClient, settings?: NotificationSettings): HTMLElement {
  const page = renderNotifications(
    client,
    settings ?? { enabled: true, reason: null, subscriptions: client.subscriptions },
    NODES,
  );
  document.body.replaceChildren(page);
  return page;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const rows = (page: HTMLElement) =>
  [...page.querySelectorAll('#table-notifications tbody tr')].map((tr) =>
    [...tr.children].map((c) => c.textContent?.trim()),
  );

function fill(page: HTMLElement, node: string, email: string, digest: boolean, threshold: string): void {
  (page.querySelector('#notif-node') as HTMLSelectElement).value = node;
  (page.querySelector('#notif-email') as HTMLInputElement).value = email;
  (page.querySelector('#notif-digest') as HTMLInputElement).checked = digest;
  (page.querySelector('#notif-threshold') as HTMLInputElement).value = threshold;
}

const submit = (page: HTMLElement) =>
  page.querySelector('#notif-form')!.dispatchEvent(new Event('submit', { cancelable: true }));

describe('« Mes notifications » view', () => {
  it('shows the server’s reason and no form when e-mail is off', () => {
    const page = mount(new FakeClient([]), { enabled: false, reason: REASON, subscriptions: [] });
    const alert = page.querySelector('#notif-disabled .fr-alert--info');
    expect(alert?.textContent).toContain(REASON);
    expect(page.querySelector('form')).toBeNull();
    expect(page.querySelector('#table-notifications')).toBeNull();
  });

  it('lists the subscriptions and offers the scope and its children, labelled, in a fieldset', () => {
    const page = mount(new FakeClient([existing]));
    expect(rows(page)).toEqual([
      ['SIP Paris B', 'chef.b@dgfip.finances.gouv.fr', 'Non', '3', 'Se désabonner'],
    ]);
    expect(page.querySelector('#table-notifications button')?.getAttribute('aria-label')).toBe(
      'Se désabonner : SIP Paris B',
    );
    const options = [...page.querySelectorAll('#notif-node option')].map((o) => [
      (o as HTMLOptionElement).value,
      o.textContent,
    ]);
    expect(options).toEqual([
      ['department:75', 'Paris (tout votre périmètre)'],
      ['service:SIP-A', 'SIP Paris A'],
      ['service:SIP-B', 'SIP Paris B'],
    ]);
    expect(page.querySelector('fieldset legend')?.textContent).toBe('S’abonner, ou changer un abonnement');
    for (const id of ['notif-node', 'notif-email', 'notif-digest', 'notif-threshold'])
      expect(page.querySelector(`label[for="${id}"]`), id).not.toBeNull();
    expect((page.querySelector('#notif-email') as HTMLInputElement).value).toBe('');
    expect(mount(new FakeClient([])).querySelector('#notif-empty')?.textContent).toContain('aucune');
  });

  it('saves a subscription, shows the new row and focuses the confirmation', async () => {
    const client = new FakeClient([existing]);
    const page = mount(client);
    fill(page, 'department:75', ' chef@dgfip.finances.gouv.fr ', true, '');
    submit(page);
    await settle();
    expect(client.saved).toEqual([
      {
        level: 'department',
        id: '75',
        email: 'chef@dgfip.finances.gouv.fr',
        digest: true,
        alertThreshold: null,
      },
    ]);
    expect(rows(page).map((r) => r.slice(0, 4))).toEqual([
      ['SIP Paris B', 'chef.b@dgfip.finances.gouv.fr', 'Non', '3'],
      ['Paris', 'chef@dgfip.finances.gouv.fr', 'Oui', 'aucune'],
    ]);
    const alert = page.querySelector('#notif-feedback .fr-alert--success');
    expect(alert?.textContent).toContain('Abonnement enregistré');
    expect(document.activeElement).toBe(alert);
  });

  it('fills the form with a followed node’s settings when it is chosen, and sends the threshold as a number', async () => {
    const client = new FakeClient([existing]);
    const page = mount(client);
    const node = page.querySelector('#notif-node') as HTMLSelectElement;
    node.value = 'service:SIP-B';
    node.dispatchEvent(new Event('change'));
    expect((page.querySelector('#notif-email') as HTMLInputElement).value).toBe(existing.email);
    expect((page.querySelector('#notif-digest') as HTMLInputElement).checked).toBe(false);
    expect((page.querySelector('#notif-threshold') as HTMLInputElement).value).toBe('3');
    (page.querySelector('#notif-threshold') as HTMLInputElement).value = '12';
    submit(page);
    await settle();
    expect(client.saved.at(-1)).toMatchObject({ id: 'SIP-B', digest: false, alertThreshold: 12 });
    expect(rows(page)).toHaveLength(1);
    expect(rows(page)[0]?.[3]).toBe('12');
  });

  it('shows the server’s refusal in French beside the form and under the field it names', async () => {
    const client = new FakeClient([]);
    client.refuse = new ApiError(400, 'Abonnement invalide.', {
      error: 'invalid_body',
      message: 'Abonnement invalide.',
      details: [{ path: 'email', message: 'adresse électronique invalide' }],
    });
    const page = mount(client);
    fill(page, 'service:SIP-A', 'pas-une-adresse', true, '');
    submit(page);
    await settle();
    const alert = page.querySelector('#notif-feedback .fr-alert--error');
    expect(alert?.textContent).toContain('Abonnement invalide.');
    expect(alert?.textContent).toContain('adresse électronique invalide');
    expect(document.activeElement).toBe(alert);
    expect(page.querySelector('#notif-email-group')?.classList.contains('fr-input-group--error')).toBe(true);
    expect(page.querySelector('#notif-email')?.getAttribute('aria-invalid')).toBe('true');
    expect(page.querySelector('#notif-email-messages .fr-message--error')?.textContent).toBe(
      'adresse électronique invalide',
    );
    expect(page.querySelector('#notif-threshold-group')?.classList.contains('fr-input-group--error')).toBe(
      false,
    );
    expect((page.querySelector('#notif-email') as HTMLInputElement).value).toBe('pas-une-adresse');
    expect(page.querySelector('#table-notifications')).toBeNull();

    // Fixed and sent again: the field's error goes away.
    client.refuse = null;
    fill(page, 'service:SIP-A', 'chef@dgfip.finances.gouv.fr', true, '');
    submit(page);
    await settle();
    expect(page.querySelector('#notif-email-group')?.classList.contains('fr-input-group--error')).toBe(false);
    expect(rows(page)).toHaveLength(1);
  });

  it('refuses text the browser could not read as a number instead of saving without an alert', async () => {
    const client = new FakeClient([]);
    const page = mount(client);
    fill(page, 'service:SIP-A', 'chef@dgfip.finances.gouv.fr', true, '');
    // What a number field holding « dix » reports: an empty value and a bad input.
    Object.defineProperty(page.querySelector('#notif-threshold'), 'validity', { value: { badInput: true } });
    submit(page);
    await settle();
    expect(client.saved).toEqual([]);
    expect(page.querySelector('#notif-threshold-messages')?.textContent).toBe('nombre entier attendu');
    expect(document.activeElement).toBe(page.querySelector('#notif-feedback .fr-alert--error'));
  });

  it('unsubscribes: the row goes and a confirmation is focused; a failure is said', async () => {
    const client = new FakeClient([existing]);
    const page = mount(client);
    (page.querySelector('#table-notifications button') as HTMLButtonElement).click();
    await settle();
    expect(client.subscriptions).toEqual([]);
    expect(page.querySelector('#table-notifications')).toBeNull();
    expect(page.querySelector('#notif-empty')).not.toBeNull();
    const alert = page.querySelector('#notif-feedback .fr-alert--success');
    expect(alert?.textContent).toContain('SIP Paris B');
    expect(document.activeElement).toBe(alert);

    // Removed meanwhile (another tab, the e-mail's link): the server's 404 is shown.
    const stale = mount(new FakeClient([]), { enabled: true, reason: null, subscriptions: [existing] });
    (stale.querySelector('#table-notifications button') as HTMLButtonElement).click();
    await settle();
    expect(stale.querySelector('#notif-feedback .fr-alert--error')?.textContent).toContain(
      'Abonnement introuvable : sub-1.',
    );
  });
});
