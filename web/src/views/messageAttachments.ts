import { ApiError, type AttachmentSummary } from '../api.ts';
import { h } from '../dom.ts';
import { formatBytes, isInlineImage, type AttachmentUrls } from '../files.ts';
import type { AttachmentAnalysis } from '../media/types.ts';
import { analysedPicture } from './analysedPicture.ts';

/**
 * A message's files: analysed pictures with what was found in them, other pictures inline at thumbnail
 * size (their name as alt text), anything else as a download link with its name and size. Bytes come
 * through `urls` (fetched with the bearer token); `analysisOf` tells a picture's analysis when known.
 */
export function messageAttachments<A extends AttachmentSummary>(
  attachments: readonly A[],
  urls: AttachmentUrls,
  analysisOf: (attachment: A) => AttachmentAnalysis | undefined = () => undefined,
): HTMLElement {
  return h(
    'ul',
    { class: 'attachments', 'aria-label': 'Attachments' },
    ...attachments.map((attachment) => {
      const analysis = analysisOf(attachment);
      if (analysis) return h('li', { class: 'analysed' }, analysedPicture(attachment, analysis, urls));
      return h('li', {}, ...(isInlineImage(attachment) ? [picture(attachment, urls)] : downloadLink(attachment, urls)));
    }),
  );
}

function picture(attachment: AttachmentSummary, urls: AttachmentUrls): HTMLElement {
  const image = h('img', { alt: attachment.name, decoding: 'async' });
  // Opens the full picture in a tab; it gets its href (and focus) once the bytes are here.
  const link = h(
    'a',
    { class: 'attachment-picture', target: '_blank', rel: 'noopener', title: `${attachment.name} · ${formatBytes(attachment.size)}` },
    image,
  );
  const show = (url: string) => {
    image.src = url;
    link.href = url;
  };
  const known = urls.peek(attachment.id);
  if (known) show(known);
  else urls.get(attachment.id).then(show, (error: unknown) => link.replaceWith(unavailable(attachment, error)));
  return link;
}

function downloadLink(attachment: AttachmentSummary, urls: AttachmentUrls): HTMLElement[] {
  const failure = h('span', { class: 'error', role: 'alert', hidden: true });
  async function download(event: Event): Promise<void> {
    // The href names the file but cannot carry the token: fetch it ourselves, then save the blob.
    event.preventDefault();
    try {
      const save = document.createElement('a');
      save.href = await urls.get(attachment.id);
      save.download = attachment.name;
      // Detached, so the app's router never sees this click.
      save.click();
      failure.hidden = true;
    } catch (error) {
      failure.hidden = false;
      failure.textContent = `Download failed: ${reason(error)}`;
    }
  }
  const link = h(
    'a',
    {
      class: 'attachment-file',
      href: `/api/attachments/${encodeURIComponent(attachment.id)}`,
      download: attachment.name,
      title: `Download ${attachment.name}`,
      onclick: (event: Event) => void download(event),
    },
    h('span', { class: 'attachment-name' }, attachment.name),
    h('span', { class: 'attachment-size' }, formatBytes(attachment.size)),
  );
  return [link, failure];
}

function unavailable(attachment: AttachmentSummary, error: unknown): HTMLElement {
  return h(
    'span',
    { class: 'attachment-file unavailable' },
    h('span', { class: 'attachment-name' }, attachment.name),
    h('span', { class: 'error' }, reason(error)),
  );
}

const reason = (error: unknown) => (error instanceof ApiError ? error.message : 'it could not be loaded');
