import type { AttachmentSummary } from '../api.ts';
import { h } from '../dom.ts';
import { formatBytes, type AttachmentUrls } from '../files.ts';
import type { AttachmentAnalysis } from '../media/types.ts';

/** The key under which a thumbnail's object URL is kept (the page revokes those no longer shown). */
export const thumbnailKey = (analysis: AttachmentAnalysis) => `analysis-thumbnail:${analysis.id}`;

/**
 * An analysed picture: its thumbnail (fetched with the page's token) with the objects found drawn over
 * it as labelled boxes, then the text found in it and the description. Boxes are given in pixels of the
 * original (analysis.width × analysis.height) and placed in percent, so they follow the shown size.
 */
export function analysedPicture(attachment: AttachmentSummary, analysis: AttachmentAnalysis, urls: AttachmentUrls): HTMLElement {
  const image = h('img', { alt: altText(attachment, analysis), decoding: 'async' });
  const frame = h('div', { class: 'analysis-frame' }, image);
  const { width, height } = analysis;
  if (width > 0 && height > 0)
    for (const object of analysis.objects) {
      const { x, y, width: boxWidth, height: boxHeight } = object.box;
      const percent = (value: number, of: number) => `${Math.min(100, Math.max(0, (value / of) * 100)).toFixed(3)}%`;
      frame.append(
        h(
          'div',
          {
            class: 'object-box',
            'aria-hidden': 'true',
            style: [
              `left:${percent(x, width)}`,
              `top:${percent(y, height)}`,
              `width:${percent(boxWidth, width)}`,
              `height:${percent(boxHeight, height)}`,
            ].join(';'),
          },
          h('span', { class: 'object-label' }, object.label),
        ),
      );
    }
  const key = analysis.thumbnailUrl ? thumbnailKey(analysis) : attachment.id;
  const show = (url: string) => (image.src = url);
  const known = urls.peek(key);
  if (known) show(known);
  else
    urls.get(key, analysis.thumbnailUrl ?? undefined).then(show, () => {
      image.replaceWith(h('span', { class: 'error' }, 'The picture could not be loaded.'));
    });

  return h(
    'figure',
    { class: 'analysed-picture', title: `${attachment.name} · ${formatBytes(attachment.size)}` },
    frame,
    h(
      'figcaption',
      {},
      analysis.objects.length > 0 &&
        h(
          'ul',
          { class: 'objects-found', 'aria-label': 'Objects found' },
          ...analysis.objects.map((object) => h('li', {}, `${object.label} ${Math.round(object.score * 100)}%`)),
        ),
      analysis.text.trim() &&
        h('div', { class: 'text-found' }, h('span', { class: 'label' }, 'Text found'), h('blockquote', {}, analysis.text.trim())),
      analysis.description && h('p', { class: 'description' }, analysis.description),
    ),
  );
}

function altText(attachment: AttachmentSummary, analysis: AttachmentAnalysis): string {
  return analysis.description ? `${attachment.name}: ${analysis.description}` : attachment.name;
}
