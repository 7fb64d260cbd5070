import type { ImageMetadata } from './decodeImage.ts';
import type { DetectedObject } from './types.ts';

/** Longest stretch of the found text quoted in a description. */
const QUOTED_CHARS = 120;

const PLURALS: Record<string, string> = {
  person: 'people',
  bus: 'buses',
  knife: 'knives',
  mouse: 'mice',
  'wine glass': 'wine glasses',
  couch: 'couches',
  sandwich: 'sandwiches',
  'hot dog': 'hot dogs',
  bench: 'benches',
  toothbrush: 'toothbrushes',
  skis: 'skis',
  scissors: 'scissors',
};
const NUMBERS = ['no', 'a', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/**
 * A description made from what the local engines found, saying it is one, for when no cloud engine
 * describes the image: "Local analysis: a 1200×800 JPEG image showing 2 people and a dog; text reads “…”."
 */
export function describeLocally(metadata: ImageMetadata, found: { text?: string; objects?: DetectedObject[] }): string {
  const counts = new Map<string, number>();
  for (const object of found.objects ?? []) counts.set(object.label, (counts.get(object.label) ?? 0) + 1);
  const things = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([label, count]) =>
      count === 1 ? `${/^[aeiou]/.test(label) ? 'an' : 'a'} ${label}` : `${NUMBERS[count] ?? count} ${PLURALS[label] ?? `${label}s`}`,
    );
  const kind = metadata.exif?.make || metadata.exif?.model ? 'photo' : 'image';
  let sentence = `Local analysis: a ${metadata.width}×${metadata.height} ${metadata.format.toUpperCase()} ${kind}`;
  if (things.length > 0) sentence += ` showing ${listed(things)}`;
  const text = found.text?.replace(/\s+/g, ' ').trim();
  if (text) sentence += `; text reads “${text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS - 1)}…` : text}”`;
  else if (found.text !== undefined) sentence += '; no text found';
  return `${sentence}.`;
}

function listed(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
