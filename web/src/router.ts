/** A mounted page: its element, and what to stop (sockets, editors, timers) when leaving it. */
export interface View {
  el: HTMLElement;
  destroy?(): void;
}

export interface Route {
  /** Matched against the whole path; capture groups become `params`. */
  pattern: RegExp;
  render(params: string[], query: URLSearchParams): View | Promise<View>;
}

let routes: Route[] = [];
let outlet: HTMLElement;
let current: View | undefined;
let renderId = 0;

/** Starts routing: renders the current path now and on every navigation, link click and back/forward. */
export function startRouter(root: HTMLElement, table: Route[]): void {
  outlet = root;
  routes = table;
  window.addEventListener('popstate', () => void render());
  document.addEventListener('click', (event) => {
    const link = (event.target as Element | null)?.closest('a');
    if (!link || link.target || link.origin !== location.origin || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0)
      return;
    if (link.pathname.startsWith('/api/')) return;
    event.preventDefault();
    navigate(link.pathname + link.search);
  });
  void render();
}

/** Goes to a path inside the app without reloading the page. */
export function navigate(path: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  void render();
}

async function render(): Promise<void> {
  const id = ++renderId;
  current?.destroy?.();
  current = undefined;
  for (const route of routes) {
    const match = route.pattern.exec(location.pathname);
    if (!match) continue;
    const view = await route.render(match.slice(1).map(decodeURIComponent), new URLSearchParams(location.search));
    // A newer navigation won while this page was loading: drop it.
    if (id !== renderId) return view.destroy?.();
    current = view;
    outlet.replaceChildren(view.el);
    window.scrollTo(0, 0);
    return;
  }
}
