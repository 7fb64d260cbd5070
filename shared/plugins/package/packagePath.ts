import { pluginInvalid } from './pluginErrors.ts';

const MAX_PATH_LENGTH = 1024;

/**
 * The canonical POSIX form of a path inside a package (`./dist/a.js` → `dist/a.js`), or a
 * `plugin_invalid` error for anything that could point outside it or mean different files on
 * different systems: `..` anywhere, absolute paths, backslashes, NUL and other control characters.
 */
export function normalizePackagePath(raw: string): string {
  const refuse = (why: string) => pluginInvalid(`Unsafe path in package: ${JSON.stringify(raw)} (${why})`, { path: raw });
  if (raw.length === 0 || raw.length > MAX_PATH_LENGTH) throw refuse('empty or too long');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw refuse('control character');
  if (raw.includes('\\')) throw refuse('backslash');
  if (raw.startsWith('/') || /^[a-zA-Z]:/.test(raw)) throw refuse('absolute');
  const segments = raw.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw refuse('parent directory');
  if (segments.length === 0) throw refuse('empty');
  return segments.join('/');
}
