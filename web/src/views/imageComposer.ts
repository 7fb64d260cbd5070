import { api, ApiError } from '../api.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatBytes } from '../files.ts';
import type { AnalysisLookup } from '../media/analysisLookup.ts';
import { analyzeImage, type ImageUploadProgress } from '../media/mediaApi.ts';
import { summarizeAnalysis } from '../media/types.ts';

interface Upload {
  file: File;
  el: HTMLLIElement;
  progress: ImageUploadProgress;
  error?: string;
}

export interface ImageComposer {
  /** The "Add image" button. */
  button: HTMLElement;
  /** The images on their way: name, progress, or why one was refused. */
  el: HTMLElement;
  /** Of files dropped on the composer, takes the pictures and answers the rest (for the draft's attachments). */
  claimImages(files: File[]): File[];
}

/**
 * Pictures shown to the conversation: chosen with the button, pasted, or dropped anywhere on `zone`.
 * Each is analysed and kept with the conversation (`POST /api/image/analyze?conversationId=`), with its
 * progress shown (the upload, then the analysis when the server queued it), then posted at once as a
 * message carrying it, which shows the thumbnail, the text found and the objects to everyone.
 * Drops on the composer itself are its own (it hands the pictures over through `claimImages`).
 */
export function imageComposer(options: {
  conversationId: string;
  zone: HTMLElement;
  composer: HTMLElement;
  analyses: AnalysisLookup;
}): ImageComposer {
  const list = h('ul', { class: 'chips image-uploads', 'aria-label': 'Pictures being analysed', 'aria-live': 'polite' });
  const input = h('input', { type: 'file', accept: 'image/*', multiple: true, class: 'visually-hidden', 'aria-label': 'Add image' });
  input.addEventListener('change', () => {
    add([...(input.files ?? [])]);
    input.value = '';
  });

  function add(files: File[]): void {
    for (const file of files) {
      const upload: Upload = { file, el: h('li', { class: 'chip image-upload' }), progress: { phase: 'uploading', fraction: 0 } };
      list.append(upload.el);
      render(upload);
      void send(upload);
    }
  }

  async function send(upload: Upload): Promise<void> {
    try {
      const analysis = await analyzeImage(upload.file, options.conversationId, (progress) => {
        upload.progress = progress;
        render(upload);
      });
      if (!analysis.attachmentId) throw new Error('The picture was analysed but not kept with the conversation.');
      // Known before the message arrives through the document, so it shows with its analysis at once.
      options.analyses.remember(analysis.attachmentId, summarizeAnalysis(analysis));
      await api('POST', '/api/conversations/{id}/messages', {
        params: { id: options.conversationId },
        body: { role: 'user', content: `Picture: ${upload.file.name}`, attachmentIds: [analysis.attachmentId] },
      });
      upload.el.remove();
    } catch (failure) {
      upload.error = failure instanceof Error ? failure.message : 'The picture could not be analysed.';
      if (failure instanceof ApiError && failure.status === 413) upload.error = `Too large: ${failure.message}`;
      render(upload);
    }
  }

  function render(upload: Upload): void {
    const { file, progress, error } = upload;
    const percent = Math.round(progress.fraction * 100);
    const label = progress.phase === 'uploading' ? `Uploading ${percent}%` : `Analysing${percent > 0 ? ` ${percent}%` : '…'}`;
    upload.el.dataset.state = error ? 'failed' : progress.phase;
    replaceChildren(
      upload.el,
      h('span', { class: 'chip-name' }, file.name),
      h('span', { class: 'chip-size' }, formatBytes(file.size)),
      error
        ? h('span', { class: 'chip-state error', role: 'alert' }, error)
        : h(
            'span',
            { class: 'chip-state' },
            // Indeterminate while the server analyses without reporting progress.
            h('progress', {
              max: 1,
              ...(progress.phase === 'analyzing' && percent === 0 ? {} : { value: progress.fraction }),
              'aria-label': `${file.name}: ${label}`,
            }),
            label,
          ),
      error &&
        h(
          'button',
          {
            type: 'button',
            class: 'chip-remove',
            'aria-label': `Dismiss ${file.name}`,
            title: 'Dismiss',
            onclick: () => upload.el.remove(),
          },
          '×',
        ),
    );
  }

  acceptImages(options.zone, options.composer, add);

  return {
    button: h(
      'label',
      { class: 'button image-button', title: 'Show the conversation a picture: its text and objects are found' },
      input,
      'Add image',
    ),
    el: list,
    claimImages(files) {
      add(files.filter(isImage));
      return files.filter((file) => !isImage(file));
    },
  };
}

const isImage = (file: File) => file.type.startsWith('image/');

/**
 * Pictures pasted into the zone, or dropped on it outside the composer (whose own drop handling takes
 * them through `claimImages`). Taken in the capture phase and only when the paste or drop holds a
 * picture, so text still pastes into the draft.
 */
function acceptImages(zone: HTMLElement, composer: HTMLElement, take: (images: File[]) => void): void {
  zone.addEventListener(
    'paste',
    (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (!files.some(isImage)) return;
      event.preventDefault();
      event.stopPropagation();
      take(files.filter(isImage));
    },
    { capture: true },
  );
  const outsideComposer = (event: Event) => !(event.target instanceof Node && composer.contains(event.target));
  // Lets a picture land anywhere on the conversation, not only on the composer.
  zone.addEventListener('dragover', (event) => {
    if (outsideComposer(event) && event.dataTransfer?.types.includes('Files')) event.preventDefault();
  });
  zone.addEventListener('drop', (event) => {
    const files = [...(event.dataTransfer?.files ?? [])];
    if (!outsideComposer(event) || !files.some(isImage)) return;
    event.preventDefault();
    take(files.filter(isImage));
  });
}
