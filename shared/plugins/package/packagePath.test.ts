import { describe, expect, it } from '@jest/globals';
import { normalizePackagePath } from './packagePath.ts';

describe('normalizePackagePath', () => {
  it.each([
    ['plugin.json', 'plugin.json'],
    ['./dist/index.js', 'dist/index.js'],
    ['dist//./index.js', 'dist/index.js'],
    ['assets/', 'assets'],
  ])('reads %j as %j', (raw, path) => {
    expect(normalizePackagePath(raw)).toBe(path);
  });

  it.each([
    ['an empty path', ''],
    ['the root itself', '.'],
    ['a parent', '../x'],
    ['a parent further in', 'a/../../x'],
    ['a trailing parent', 'a/..'],
    ['an absolute path', '/etc/passwd'],
    ['a drive letter', 'C:/x'],
    ['a backslash', 'a\\b'],
    ['a NUL', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['a path over 1024 characters', 'x'.repeat(1025)],
  ])('refuses %s as plugin_invalid', (_case, raw) => {
    expect(() => normalizePackagePath(raw)).toThrow(expect.objectContaining({ code: 'plugin_invalid' }));
  });
});
