// Login page: identifier + password, the server's French message on failure (401, 429).
import { ApiError, type Api, type Session } from '../api.ts';
import { alertBox, h, replaceChildren } from '../dom.ts';

export function renderLogin(api: Api, onLoggedIn: (session: Session) => void): HTMLElement {
  const errors = h('div', { id: 'login-error' });
  const submit = h('button', { class: 'fr-btn', type: 'submit', id: 'login-submit' }, 'Se connecter');
  const form = h(
    'form',
    { id: 'login-form', novalidate: true },
    h(
      'fieldset',
      { class: 'fr-fieldset' },
      h('legend', { class: 'fr-fieldset__legend' }, 'Identifiez-vous pour consulter les statistiques'),
      h(
        'div',
        { class: 'fr-fieldset__element' },
        h(
          'div',
          { class: 'fr-input-group' },
          h('label', { class: 'fr-label', for: 'login' }, 'Identifiant'),
          h('input', {
            class: 'fr-input',
            id: 'login',
            name: 'login',
            autocomplete: 'username',
            required: true,
            autocapitalize: 'off',
            spellcheck: 'false',
          }),
        ),
      ),
      h(
        'div',
        { class: 'fr-fieldset__element' },
        h(
          'div',
          { class: 'fr-input-group' },
          h('label', { class: 'fr-label', for: 'password' }, 'Mot de passe'),
          h('input', {
            class: 'fr-input',
            id: 'password',
            name: 'password',
            type: 'password',
            autocomplete: 'current-password',
            required: true,
          }),
        ),
      ),
      h('div', { class: 'fr-fieldset__element' }, submit),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const login = (form.querySelector('#login') as HTMLInputElement).value.trim();
    const password = (form.querySelector('#password') as HTMLInputElement).value;
    if (login === '' || password === '') {
      replaceChildren(
        errors,
        alertBox('error', 'Connexion impossible', 'Saisissez votre identifiant et votre mot de passe.'),
      );
      return;
    }
    submit.disabled = true;
    api
      .login(login, password)
      .then(onLoggedIn)
      .catch((error: unknown) => {
        const message = error instanceof ApiError ? error.message : 'Erreur inattendue : réessayez.';
        replaceChildren(errors, alertBox('error', 'Connexion impossible', message));
        (form.querySelector('#password') as HTMLInputElement).focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return h(
    'div',
    { class: 'sb-login' },
    h('h1', { tabindex: -1, id: 'page-title' }, 'Connexion'),
    errors,
    form,
  );
}
