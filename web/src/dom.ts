/** What `h()` accepts as a child: nodes and text; null, undefined and false are skipped. */
export type Child = Node | string | number | null | undefined | false;

/** What a prop may be: text, numbers and flags for attributes and properties, functions for `onX` listeners. */
type PropValue = string | number | boolean | null | undefined | ((event: never) => unknown);

type Props = Record<string, PropValue> & { class?: string };

/**
 * Builds an element. `onX` props become event listeners, `class` the class name, `data-*`/`aria-*`
 * attributes; anything else is set as a property (value, disabled, type…). Text always goes in as text
 * nodes, never as HTML, so what people write can never become markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = String(value);
    else if (key.startsWith('on') && typeof value === 'function')
      element.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    else if (key.includes('-') || key === 'for' || key === 'role') element.setAttribute(key, value === true ? '' : String(value));
    else (element as unknown as Record<string, unknown>)[key] = value;
  }
  append(element, ...children);
  return element;
}

/** Appends children, skipping empty ones. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A form's named fields as strings (empty fields included, trimmed only where asked; a file field as its file's name). */
export function formValues(form: HTMLFormElement): Record<string, string> {
  return Object.fromEntries([...new FormData(form).entries()].map(([key, value]) => [key, typeof value === 'string' ? value : value.name]));
}

/** A short, readable time for message lists. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}
