import type * as Y from 'yjs';
import { ApiError } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';

export interface RoomTitleOptions {
  /** The title the REST API gave: shown until the document's own title arrives, and whenever that is empty. */
  title: string;
  /** The document's `title`, which the collab server keeps equal to the conversation's. Only read here, never written. */
  liveTitle: Y.Text;
  /** Renames through the REST API and resolves to the title the server stored; absent for people who may not rename. */
  rename?: (title: string) => Promise<string>;
}

export interface RoomTitle {
  el: HTMLElement;
  destroy(): void;
}

let nextId = 0;

/**
 * The conversation's heading. It follows renames made anywhere, live, through the document's `title`.
 * People who may rename edit it in place: click it (or focus it and press Enter), then Enter or leaving
 * the field saves and Escape cancels. The server's refusal (an empty title, say) is shown under it and
 * the text typed is kept.
 */
export function roomTitle(options: RoomTitleOptions): RoomTitle {
  const id = `room-title-${++nextId}`;
  let restTitle = options.title;
  // What the heading shows: the latest of the document's title and the title this page saved.
  let shown = options.liveTitle.toString() || restTitle;
  let input: HTMLInputElement | undefined;
  let isSaving = false;

  const heading = h('h1', {});
  const hint = h('span', { id: `${id}-hint`, class: 'visually-hidden' }, 'Press Enter to rename');
  const error = h('p', { id: `${id}-error`, class: 'error', role: 'alert', hidden: true });

  function showTitle(focus = false): void {
    input = undefined;
    if (!options.rename) return replaceChildren(heading, shown);
    const button = h(
      'button',
      { type: 'button', class: 'title-button', title: 'Rename', 'aria-describedby': hint.id, onclick: edit },
      shown,
    );
    replaceChildren(heading, button);
    if (focus) button.focus();
  }

  function edit(): void {
    input = h('input', {
      class: 'title-input',
      value: shown,
      maxLength: 200,
      'aria-label': 'Conversation title',
      'aria-describedby': error.id,
      onkeydown: (event: KeyboardEvent) => {
        if (event.key === 'Enter') {
          event.preventDefault();
          void save();
        } else if (event.key === 'Escape' && !isSaving) {
          event.preventDefault();
          showError(null);
          showTitle(true);
        }
      },
      onblur: () => void save(),
    });
    replaceChildren(heading, input);
    input.focus();
    input.select();
  }

  async function save(): Promise<void> {
    const field = input;
    if (!field || isSaving) return;
    if (field.value.trim() === shown) {
      showError(null);
      return showTitle(document.activeElement === field);
    }
    isSaving = true;
    field.readOnly = true;
    field.setAttribute('aria-busy', 'true');
    try {
      restTitle = await options.rename!(field.value);
      shown = restTitle;
      showError(null);
      // Keyboard users stay on the heading; someone who clicked elsewhere keeps that focus.
      if (input === field) showTitle(document.activeElement === field);
    } catch (failure) {
      field.readOnly = false;
      showError(failure instanceof ApiError ? failure.message : 'The conversation could not be renamed.');
    } finally {
      isSaving = false;
      field.removeAttribute('aria-busy');
    }
  }

  function showError(message: string | null): void {
    error.hidden = !message;
    error.textContent = message ?? '';
    if (message) input?.setAttribute('aria-invalid', 'true');
    else input?.removeAttribute('aria-invalid');
  }

  // Fires once per transaction, so a rename (delete, then insert) never shows an empty title between.
  const follow = () => {
    shown = options.liveTitle.toString() || restTitle;
    // Someone editing keeps their text; the new title is what Escape goes back to.
    if (!input) showTitle();
  };
  options.liveTitle.observe(follow);
  showTitle();

  return {
    el: h('div', { class: 'room-title' }, heading, options.rename ? hint : null, error),
    destroy: () => options.liveTitle.unobserve(follow),
  };
}
