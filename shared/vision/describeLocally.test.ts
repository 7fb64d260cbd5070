import { describe, expect, it } from '@jest/globals';
import { describeLocally } from './describeLocally.ts';

const box = { x: 0, y: 0, width: 10, height: 10 };
const found = (...labels: string[]) => labels.map((label) => ({ label, score: 0.9, box }));

describe('describeLocally', () => {
  it('counts what was found, most first, and quotes the text', () => {
    const metadata = { format: 'jpeg', width: 1200, height: 800, exif: { make: 'Canon', hasGps: false } };
    expect(describeLocally(metadata, { objects: found('dog', 'person', 'person'), text: 'Welcome\nhome' })).toBe(
      'Local analysis: a 1200×800 JPEG photo showing two people and a dog; text reads “Welcome home”.',
    );
  });

  it('says when it looked for text and found none, and shortens long text', () => {
    const metadata = { format: 'png', width: 10, height: 10 };
    expect(describeLocally(metadata, { text: '' })).toBe('Local analysis: a 10×10 PNG image; no text found.');
    expect(describeLocally(metadata, { objects: found('umbrella'), text: 'x'.repeat(300) })).toMatch(
      /^Local analysis: a 10×10 PNG image showing an umbrella; text reads “x{119}…”\.$/,
    );
  });
});
