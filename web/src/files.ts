import { requestBlob, type AttachmentSummary } from './api.ts';

/** Types shown inline as pictures: raster images the server also serves inline. */
const INLINE_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** True when the attachment is shown as a picture rather than a download link. */
export function isInlineImage(attachment: Pick<AttachmentSummary, 'contentType'>): boolean {
  return INLINE_IMAGE_TYPES.has(attachment.contentType);
}

/** A size as people read it: 512 B, 14 KB, 3.2 MB. */
export function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = size / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * The attachments of a page as object URLs, fetched with the bearer token (the download route reads
 * no cookies, so the browser cannot fetch them by URL alone). Each file is fetched once while it is
 * shown; `keepOnly` after a re-render revokes the URLs of files no longer shown, and `revokeAll` when
 * the page goes away, so no blob outlives its view.
 */
export class AttachmentUrls {
  private readonly urls = new Map<string, Promise<string>>();
  private readonly ready = new Map<string, string>();
  private isDestroyed = false;

  constructor(private readonly token: () => Promise<string>) {}

  /**
   * The object URL of an attachment's bytes (or, given `path`, of the bytes there under the key `id`: an
   * image analysis's thumbnail, read with the same token); rejects with the server's ApiError when it cannot be read.
   */
  get(id: string, path = `/api/attachments/${encodeURIComponent(id)}`): Promise<string> {
    let url = this.urls.get(id);
    if (!url) {
      url = this.token()
        .then((token) => requestBlob(path, token))
        .then((blob) => {
          const objectUrl = URL.createObjectURL(blob);
          // Revoked while in flight (the message went away, or the page did): never hand it out.
          if (this.isDestroyed || this.urls.get(id) !== url) URL.revokeObjectURL(objectUrl);
          else this.ready.set(id, objectUrl);
          return objectUrl;
        });
      // A failed fetch is forgotten, so the next render tries again.
      url.catch(() => {
        if (this.urls.get(id) === url) this.urls.delete(id);
      });
      this.urls.set(id, url);
    }
    return url;
  }

  /** The object URL if it is already there, so a re-render can show a picture without a flicker. */
  peek(id: string): string | undefined {
    return this.ready.get(id);
  }

  /** Revokes every URL but those of `ids` (the attachments the page shows now). */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of [...this.urls.keys()]) if (!ids.has(id)) this.revoke(id);
  }

  revokeAll(): void {
    this.isDestroyed = true;
    for (const id of [...this.urls.keys()]) this.revoke(id);
  }

  private revoke(id: string): void {
    const url = this.ready.get(id);
    if (url) URL.revokeObjectURL(url);
    this.ready.delete(id);
    this.urls.delete(id);
  }
}
