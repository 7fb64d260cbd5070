/** Longest display name kept, in characters. */
const MAX_NAME_LENGTH = 255;

/**
 * The name a client gave its file, made safe to show and to put in a header: the last path segment
 * only (no `../../etc/passwd`), no control or bidirectional-override characters (no names that read
 * `exe.txt` backwards), NFC, trimmed, at most 255 characters; `file` when nothing is left. It is only
 * ever displayed: storage keys are generated.
 */
export function displayName(original: string | undefined): string {
  const lastSegment = (original ?? '').split(/[/\\]/).at(-1) ?? '';
  const cleaned = lastSegment
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const name = [...cleaned].slice(0, MAX_NAME_LENGTH).join('');
  return /^\.*$/.test(name) ? 'file' : name;
}
