import { api, ApiError } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatBytes } from '../files.ts';

/** As many files as one message may carry (MAX_ATTACHMENTS_PER_MESSAGE on the server). */
const MAX_FILES = 10;

type ChipState = 'uploading' | 'failed' | 'ready';

interface Chip {
  file: File;
  state: ChipState;
  /** The attachment's id once uploaded. */
  id?: string;
  /** Why it failed, in the server's words when it answered. */
  error?: string;
  el: HTMLLIElement;
}

export interface DraftAttachments {
  /** The chips, one per chosen file. */
  el: HTMLElement;
  /** The file picker button, with a word about dropping files. */
  picker: HTMLElement;
  /** Ids of the uploads that are ready, in the order they were chosen. */
  readyIds(): string[];
  /** True while a chosen file is still uploading. */
  isUploading(): boolean;
  /** Drops every chip but those still uploading: after posting, the rest were sent or refused. */
  clear(): void;
}

const STATE_TEXT: Record<Exclude<ChipState, 'failed'>, string> = { uploading: 'Uploading…', ready: 'Ready' };

/**
 * Files for the next message: chosen with the picker or dropped on `dropZone`, each uploaded at once
 * (POST /api/conversations/:id/attachments) and shown as a chip with its name, size and state until the
 * message is posted. A refused file (too large, a type the server does not take) says why on its chip
 * and is never posted. `onChange` runs whenever a chip's state changes.
 */
export function draftAttachments(options: {
  conversationId: string;
  dropZone: HTMLElement;
  onChange(): void;
  /** Takes the dropped files it wants (pictures, to be analysed) and answers the rest, which become chips. */
  claimDropped?: (files: File[]) => File[];
}): DraftAttachments {
  let chips: Chip[] = [];
  const list = h('ul', { class: 'chips', 'aria-label': 'Files to post', 'aria-live': 'polite' });
  const input = h('input', { type: 'file', multiple: true, class: 'visually-hidden' });
  input.addEventListener('change', () => {
    add([...(input.files ?? [])]);
    input.value = '';
  });

  function add(files: File[]): void {
    for (const file of files) {
      const chip: Chip = { file, state: 'uploading', el: h('li', { class: 'chip' }) };
      chips.push(chip);
      if (chips.filter((other) => other.state !== 'failed').length > MAX_FILES) fail(chip, `A message takes at most ${MAX_FILES} files.`);
      else void upload(chip);
      render(chip);
    }
    replaceChildren(list, ...chips.map((chip) => chip.el));
    options.onChange();
  }

  async function upload(chip: Chip): Promise<void> {
    const form = new FormData();
    form.append('file', chip.file, chip.file.name);
    try {
      const { data } = await api('POST', '/api/conversations/{id}/attachments', { params: { id: options.conversationId }, body: form });
      chip.state = 'ready';
      chip.id = data.id;
    } catch (error) {
      fail(chip, error instanceof ApiError ? error.message : 'The upload failed.');
    }
    // Removed meanwhile: the upload stays unattached on the server and is simply never posted.
    if (!chips.includes(chip)) return;
    render(chip);
    options.onChange();
  }

  function fail(chip: Chip, message: string): void {
    chip.state = 'failed';
    chip.error = message;
  }

  function render(chip: Chip): void {
    const { file } = chip;
    chip.el.dataset.state = chip.state;
    replaceChildren(
      chip.el,
      h('span', { class: 'chip-name' }, file.name),
      h('span', { class: 'chip-size' }, formatBytes(file.size)),
      chip.state === 'failed'
        ? h('span', { class: 'chip-state error' }, chip.error)
        : h('span', { class: 'chip-state' }, STATE_TEXT[chip.state]),
      h(
        'button',
        { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${file.name}`, title: 'Remove', onclick: () => remove(chip) },
        '×',
      ),
    );
  }

  function remove(chip: Chip): void {
    chips = chips.filter((other) => other !== chip);
    chip.el.remove();
    options.onChange();
  }

  acceptDrops(options.dropZone, (files) => add(options.claimDropped ? options.claimDropped(files) : files));

  return {
    el: list,
    picker: h(
      'div',
      { class: 'attach-row' },
      h('label', { class: 'button attach-button' }, input, 'Attach files'),
      h('span', { class: 'hint drop-hint' }, 'or drop them here'),
    ),
    readyIds: () => chips.filter((chip) => chip.state === 'ready').map((chip) => chip.id!),
    isUploading: () => chips.some((chip) => chip.state === 'uploading'),
    clear() {
      chips = chips.filter((chip) => chip.state === 'uploading');
      replaceChildren(list, ...chips.map((chip) => chip.el));
      options.onChange();
    },
  };
}

/**
 * Files dragged over the zone highlight it, and dropping them adds them. Only drags that carry files
 * are taken, and in the capture phase: a text drag still moves text inside the editor, and a file drop
 * never reaches the editor's own handler.
 */
function acceptDrops(zone: HTMLElement, add: (files: File[]) => void): void {
  const carriesFiles = (event: DragEvent) => event.dataTransfer?.types.includes('Files') === true;
  // dragenter and dragleave fire for every child crossed: count them, so the highlight does not blink.
  let depth = 0;
  const highlight = (on: boolean) => zone.classList.toggle('drop-active', on);
  zone.addEventListener(
    'dragenter',
    (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      depth += 1;
      highlight(true);
    },
    { capture: true },
  );
  zone.addEventListener(
    'dragover',
    (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      event.dataTransfer!.dropEffect = 'copy';
    },
    { capture: true },
  );
  zone.addEventListener(
    'dragleave',
    (event) => {
      if (!carriesFiles(event)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) highlight(false);
    },
    { capture: true },
  );
  zone.addEventListener(
    'drop',
    (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      event.stopPropagation();
      depth = 0;
      highlight(false);
      add([...(event.dataTransfer?.files ?? [])]);
    },
    { capture: true },
  );
}
