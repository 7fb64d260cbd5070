import { fileTypeFromBuffer } from 'file-type';
import { ValidationError } from '@shared/errors.ts';
import { unsupportedMediaType } from './uploadErrors.ts';
import type { UploadSpec } from './UploadSpec.ts';

/**
 * How much of a file is read before deciding its type. file-type needs ~4 KB for most formats, but
 * an Office document whose `[Content_Types].xml` is not the first zip entry read as plain
 * `application/zip` at 4 KB and as the document at 64 KB.
 */
export const SNIFF_BYTES = 64 * 1024;

const TEXT = 'text/plain';
const OCTET_STREAM = 'application/octet-stream';
/** Types file-type finds that are text underneath (XML, SVG with a prolog, calendars…): stored as text/plain where text is accepted. */
const TEXTUAL = /^(text\/|application\/xml$)/;

/** What a file is, as decided from its first bytes. */
export interface SniffedType {
  contentType: string;
  /** True when the type rests on the bytes being UTF-8 text, which the rest of the file must then confirm. */
  isText: boolean;
}

/** Does `accept` take `type`? Exact types, `major/*` and `any`. */
export function accepts(accept: UploadSpec['accept'], type: string): boolean {
  if (accept === 'any') return true;
  return accept.some((pattern) => pattern === type || (pattern.endsWith('/*') && type.startsWith(pattern.slice(0, -1))));
}

/**
 * The type of a file from its first bytes (`head`; `isComplete` when that is the whole file): the
 * signature file-type recognizes, else text/plain for valid UTF-8 text where the route takes text,
 * else application/octet-stream. Throws 415 when the route does not take the result.
 */
export async function sniffContentType(head: Buffer, isComplete: boolean, accept: UploadSpec['accept']): Promise<SniffedType> {
  const detected = (await fileTypeFromBuffer(head))?.mime;
  const takesText = accepts(accept, TEXT);
  // Where text is not taken, an empty file is a missing file (400), not a file of the wrong type.
  if (head.length === 0 && isComplete && !takesText && accept !== 'any') {
    throw new ValidationError('The file is empty', undefined, 'empty_file');
  }
  if (detected && accepts(accept, detected)) return { contentType: detected, isText: false };
  if ((!detected || TEXTUAL.test(detected)) && takesText && new TextChecker().accepts(head, isComplete)) {
    return { contentType: TEXT, isText: true };
  }
  if (!detected && accept === 'any') return { contentType: OCTET_STREAM, isText: false };
  throw unsupportedMediaType(detected ?? OCTET_STREAM);
}

/**
 * Checks, chunk by chunk, that bytes are UTF-8 text: valid UTF-8 with no control characters but tab,
 * line feed, form feed, carriage return and escape (ANSI colours in logs). A NUL in particular marks
 * binary data.
 */
export class TextChecker {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  /** False as soon as the bytes so far stop being text; `isLast` when no more follow. */
  accepts(chunk: Uint8Array, isLast = false): boolean {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if ((byte < 0x20 && !ALLOWED_CONTROLS.has(byte)) || byte === 0x7f) return false;
    }
    try {
      // stream: a character split across chunks is held back, not called invalid.
      this.decoder.decode(chunk, { stream: !isLast });
      return true;
    } catch {
      return false;
    }
  }
}

const ALLOWED_CONTROLS = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x1b]);
