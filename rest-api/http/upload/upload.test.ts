import { describe, expect, it } from '@jest/globals';
import { displayName } from './displayName.ts';
import { sniffContentType } from './sniffContentType.ts';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]), Buffer.alloc(120)]);
const SVG = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
const IMAGES_AND_TEXT = ['image/*', 'text/plain'];

describe('sniffing an upload’s type from its bytes', () => {
  it.each([
    ['a PNG, for image/*', PNG, IMAGES_AND_TEXT, { contentType: 'image/png', isText: false }],
    ['UTF-8 text, where text is taken', Buffer.from('héllo\r\n\tworld\n'), IMAGES_AND_TEXT, { contentType: 'text/plain', isText: true }],
    ['an empty file, as text', Buffer.alloc(0), IMAGES_AND_TEXT, { contentType: 'text/plain', isText: true }],
    ['XML (an SVG with its script), as inert text', SVG, IMAGES_AND_TEXT, { contentType: 'text/plain', isText: true }],
    [
      'unknown bytes, where any type is taken',
      Buffer.from([0x00, 0x01, 0x02, 0xff]),
      'any',
      { contentType: 'application/octet-stream', isText: false },
    ],
    ['an executable, where any type is taken', ELF, 'any', { contentType: 'application/x-elf', isText: false }],
  ] as const)('recognizes %s', async (_case, bytes, accept, expected) => {
    expect(await sniffContentType(bytes, true, accept)).toEqual(expected);
  });

  it.each([
    ['an executable', ELF, IMAGES_AND_TEXT],
    ['text with NUL bytes', Buffer.from('abc\u0000def'), IMAGES_AND_TEXT],
    ['invalid UTF-8', Buffer.from([0x61, 0xc3, 0x28]), IMAGES_AND_TEXT],
    ['text where only images are taken', Buffer.from('hello'), ['image/*']],
    ['a PNG where only PDFs are taken', PNG, ['application/pdf']],
  ] as const)('refuses %s with 415', async (_case, bytes, accept) => {
    await expect(sniffContentType(bytes, true, accept)).rejects.toMatchObject({ status: 415, code: 'unsupported_media_type' });
  });

  it('does not call text cut inside a character binary while more bytes follow', async () => {
    const cut = Buffer.from('café').subarray(0, 4);
    expect(await sniffContentType(cut, false, IMAGES_AND_TEXT)).toEqual({ contentType: 'text/plain', isText: true });
    await expect(sniffContentType(cut, true, IMAGES_AND_TEXT)).rejects.toMatchObject({ status: 415 });
  });
});

describe('the display name of an upload', () => {
  it.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\me\\report.pdf', 'report.pdf'],
    ['photo\u202Egnp.exe', 'photognp.exe'],
    ['line\r\nbreak\u0000.txt', 'linebreak.txt'],
    ['  spaced   out  .txt ', 'spaced out .txt'],
    ['..', 'file'],
    ['', 'file'],
    [undefined, 'file'],
    ['résumé.pdf', 'résumé.pdf'],
    ['a'.repeat(300), 'a'.repeat(255)],
  ])('keeps %j as %j', (original, expected) => {
    expect(displayName(original)).toBe(expected);
  });
});
