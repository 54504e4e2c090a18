/**
 * A tiny element builder. Every string becomes a text node, never HTML: the dashboard shows what
 * an agent typed (argv, host names, paths), and none of it may turn into markup or script.
 */
/** Something to append; arrays (nested at will) are flattened, falsy values skipped. */
export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  class?: string | undefined;
  title?: string | undefined;
  /** `data-*` attributes (used by tests and for styling). */
  data?: Record<string, string | undefined> | undefined;
  attrs?: Record<string, string | undefined> | undefined;
  onClick?: ((event: MouseEvent) => void) | undefined;
  onChange?: ((event: Event) => void) | undefined;
}

/**
 * @example h('span', { class: 'badge' }, 'rogue')
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props?: Props | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props?.class) el.className = props.class;
  if (props?.title) el.title = props.title;
  for (const [k, v] of Object.entries(props?.data ?? {})) if (v !== undefined) el.dataset[k] = v;
  for (const [k, v] of Object.entries(props?.attrs ?? {}))
    if (v !== undefined) el.setAttribute(k, v);
  const { onClick, onChange } = props ?? {};
  if (onClick) el.addEventListener('click', (e) => onClick(e as MouseEvent));
  if (onChange) el.addEventListener('change', onChange);
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else if (child !== null && child !== undefined && child !== false) {
      el.appendChild(document.createTextNode(String(child)));
    }
  }
}

/** Replaces an element's children, keeping the element (and its scroll position). */
export function replaceChildren(el: Element, ...children: Child[]): void {
  const fragment = document.createDocumentFragment();
  append(fragment, children);
  el.replaceChildren(fragment);
}
