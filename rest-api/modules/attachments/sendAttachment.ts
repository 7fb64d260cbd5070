import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { AppError, NotFoundError } from '@shared/errors.ts';
import type { Logger } from '@shared/logger.ts';
import { ObjectNotFoundError, type ByteRange, type ObjectStorage } from '@shared/storage/index.ts';
import type { AttachmentRow } from './attachments.repo.ts';

/** Raster images every browser renders without running anything: the only types shown inline. */
const INLINE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

/**
 * Streams an attachment's bytes from storage, or the one range asked for (206). The headers make the
 * bytes inert whatever they hold: the sniffed type with `nosniff`, a CSP that allows nothing, and
 * `attachment` disposition for everything but plain raster images.
 */
export async function sendAttachment(
  deps: { storage: ObjectStorage; log: Logger },
  req: Request,
  res: Response,
  row: AttachmentRow,
): Promise<void> {
  const size = Number(row.size);
  const etag = `"${row.sha256}"`;
  const range = requestedRange(req, size, etag);
  if (range === 'unsatisfiable') {
    res.set('Content-Range', `bytes */${size}`);
    throw new AppError(416, 'range_not_satisfiable', `The range is outside the file's ${size} bytes`);
  }
  const object = await deps.storage.get(row.storage_key, range ? { range } : {}).catch((error: unknown) => {
    if (!(error instanceof ObjectNotFoundError)) throw error;
    deps.log.error({ attachmentId: row.id }, 'attachment row without its object');
    throw new NotFoundError('Attachment not found');
  });
  const served = object.range;
  res.status(served ? 206 : 200).set({
    'Content-Type': row.content_type,
    'Content-Length': String(served ? served.end - served.start + 1 : size),
    'Content-Disposition': contentDisposition(row.name, INLINE_TYPES.has(row.content_type) ? 'inline' : 'attachment'),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'",
    'Cache-Control': 'private, no-cache',
    'Accept-Ranges': 'bytes',
    ETag: etag,
    ...(served ? { 'Content-Range': `bytes ${served.start}-${served.end}/${size}` } : {}),
  });
  if (req.method === 'HEAD') {
    object.body.destroy();
    res.end();
    return;
  }
  // The status is sent: a failure from here on (the client leaving, the store dropping) can only cut the body short.
  await pipeline(object.body, res).catch((error: unknown) => {
    deps.log.debug({ err: error, attachmentId: row.id }, 'attachment download cut short');
  });
}

/**
 * The one byte range to serve: none without a Range header, when If-Range names another version, for
 * a malformed header or several ranges (the whole file answers those); `unsatisfiable` past the end.
 */
function requestedRange(req: Request, size: number, etag: string): ByteRange | 'unsatisfiable' | undefined {
  if (!req.headers.range) return undefined;
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && ifRange !== etag) return undefined;
  const ranges = req.range(size, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === undefined || ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return { start: ranges[0]!.start, end: ranges[0]!.end };
}

/** RFC 6266: an ASCII `filename` for old clients and the exact name as RFC 8187 `filename*`. */
export function contentDisposition(name: string, type: 'inline' | 'attachment'): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
