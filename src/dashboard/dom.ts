// A tiny element builder: text goes through textContent (never innerHTML), attributes are explicit.
/** What an element may hold: nodes, text, nothing (skipped), or lists of those at any depth. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
export type Attrs = Record<string, string | number | boolean | undefined | null>;

/** Creates an element with attributes (false/null/undefined omitted, true = empty) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, child as readonly Child[]);
    else if (child === null || child === undefined || child === false) continue;
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces the content of a container. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** DSFR alert (role=alert so screen readers announce it). */
export function alertBox(
  kind: 'error' | 'success' | 'info' | 'warning',
  title: string,
  text?: string,
): HTMLElement {
  return h(
    'div',
    { class: `fr-alert fr-alert--${kind} fr-mb-3w`, role: kind === 'error' ? 'alert' : 'status' },
    h('h3', { class: 'fr-alert__title' }, title),
    text !== undefined ? h('p', {}, text) : null,
  );
}

/** An e-mail address that may wrap after its « @ » (a <wbr>), so that narrow table columns need not widen. */
export function breakable(text: string): Child[] {
  const at = text.indexOf('@');
  return at < 0 ? [text] : [text.slice(0, at + 1), document.createElement('wbr'), text.slice(at + 1)];
}
