import { ApiError } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import { listConversationTools, type AvailableTool } from '../pluginTools.ts';
import { titleOf, toolRunForm } from './toolRunForm.ts';

export interface ToolMenuOptions {
  conversationId: string;
  /** The conversation's workspace, whose plugins it may use; null for a personal conversation (the default set). */
  workspaceId: string | null;
  /** The draft's text, offered as the text a tool works on. */
  draftText: () => string;
  /** Gives focus back to the draft when the menu closes. */
  returnFocus: () => void;
}

export interface ToolMenu {
  /** The visible "/" button for the composer's actions. */
  button: HTMLButtonElement;
  /** The menu and a chosen tool's form, shown above the composer's actions while open. */
  panel: HTMLElement;
  /** Opens the menu with its filter focused (the "/" key on an empty draft line, or the button). */
  open(): void;
  isOpen(): boolean;
}

let menuCount = 0;

/**
 * The "/" tool menu of the draft: lists the tools of the plugins this conversation may use, filtered as
 * one types (arrow keys and Enter choose, Escape closes), then shows the chosen tool's arguments as a
 * form and runs it with its result posted as a `tool` message, which reaches the list through the
 * document like every message. A destructive tool asks first; a refusal is shown in the menu.
 */
export function toolMenu(options: ToolMenuOptions): ToolMenu {
  const id = `tool-menu-${++menuCount}`;
  let tools: AvailableTool[] = [];
  let shown: AvailableTool[] = [];
  let active = 0;
  /** Counts loads, so that an older answer never overwrites a newer one. */
  let loads = 0;
  let isLoading = false;
  let loadError: string | null = null;

  const filter = h('input', {
    type: 'text',
    class: 'tool-filter',
    role: 'combobox',
    'aria-label': 'Find a tool',
    'aria-expanded': 'true',
    'aria-controls': `${id}-list`,
    'aria-autocomplete': 'list',
    placeholder: 'Find a tool…',
    autocomplete: 'off',
  });
  const list = h('ul', { class: 'tool-options', role: 'listbox', id: `${id}-list`, 'aria-label': 'Tools' });
  const listStatus = h('p', { class: 'hint', role: 'status' });
  const closeButton = h('button', { type: 'button', class: 'small', 'aria-label': 'Close tools' }, 'Close');
  const body = h('div', { class: 'tool-menu-body' });
  const panel = h(
    'section',
    { class: 'tool-menu', hidden: true, 'aria-label': 'Tools' },
    h('div', { class: 'tool-menu-head' }, h('h3', {}, 'Tools'), closeButton),
    body,
  );
  const button = h(
    'button',
    {
      type: 'button',
      class: 'tool-button',
      'aria-haspopup': 'listbox',
      'aria-expanded': 'false',
      'aria-label': 'Run a tool',
      title: 'Run a tool (or type / on an empty line of the draft)',
    },
    '/',
  );

  function open(): void {
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    tools = [];
    isLoading = true;
    showList();
    void load();
  }

  function close(): void {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    options.returnFocus();
  }

  async function load(): Promise<void> {
    const attempt = ++loads;
    loadError = null;
    try {
      const found = await listConversationTools(options.workspaceId);
      if (attempt !== loads) return;
      tools = found;
      isLoading = false;
      renderOptions();
    } catch (error) {
      if (attempt !== loads) return;
      isLoading = false;
      loadError = error instanceof ApiError ? error.message : 'The tools could not be loaded.';
      renderOptions();
    }
  }

  function showList(): void {
    filter.value = '';
    active = 0;
    renderOptions();
    replaceChildren(body, filter, list, listStatus);
    filter.focus();
  }

  function renderOptions(): void {
    const words = filter.value.trim().toLowerCase();
    shown = tools.filter(({ pluginName, tool }) =>
      [tool.name, tool.annotations.title ?? '', pluginName, tool.description].some((text) => text.toLowerCase().includes(words)),
    );
    active = Math.min(active, Math.max(shown.length - 1, 0));
    replaceChildren(
      list,
      ...shown.map((available, index) =>
        h(
          'li',
          {
            id: `${id}-option-${index}`,
            role: 'option',
            class: 'tool-option',
            'aria-selected': String(index === active),
            onmousedown: (event: MouseEvent) => event.preventDefault(),
            onclick: () => choose(available),
          },
          h('span', { class: 'tool-title' }, titleOf(available)),
          // The plugin's name, unless the title already says it (the word count's tool is "Word count").
          h('span', { class: 'tool-plugin' }, available.pluginName === titleOf(available) ? available.tool.name : available.pluginName),
          available.tool.annotations.destructiveHint && h('span', { class: 'badge danger' }, 'asks first'),
          h('span', { class: 'tool-description' }, available.tool.description),
        ),
      ),
    );
    if (shown.length > 0) filter.setAttribute('aria-activedescendant', `${id}-option-${active}`);
    else filter.removeAttribute('aria-activedescendant');
    list.querySelector('[aria-selected="true"]')?.scrollIntoView({ block: 'nearest' });
    listStatus.hidden = !isLoading && loadError === null && shown.length > 0;
    listStatus.textContent = isLoading
      ? 'Loading tools…'
      : loadError !== null
        ? loadError
        : tools.length === 0
          ? 'No tools are turned on for this conversation.'
          : shown.length === 0
            ? 'No tool matches.'
            : '';
  }

  filter.addEventListener('input', () => {
    active = 0;
    renderOptions();
  });
  filter.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (shown.length === 0) return;
      active = (active + (event.key === 'ArrowDown' ? 1 : shown.length - 1)) % shown.length;
      renderOptions();
    } else if (event.key === 'Enter') {
      event.preventDefault();
      const chosen = shown[active];
      if (chosen) choose(chosen);
    }
  });
  panel.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    close();
  });
  closeButton.addEventListener('click', close);
  button.addEventListener('click', () => (panel.hidden ? open() : close()));

  /** The chosen tool's form; the menu closes once the result is posted. */
  function choose(available: AvailableTool): void {
    const form = toolRunForm({
      available,
      conversationId: options.conversationId,
      draftText: options.draftText(),
      onBack: showList,
      onPosted: close,
    });
    replaceChildren(body, form);
    (form.querySelector<HTMLElement>('input, textarea, select') ?? form.querySelector<HTMLElement>('button[type="submit"]'))?.focus();
  }

  return { button, panel, open, isOpen: () => !panel.hidden };
}
