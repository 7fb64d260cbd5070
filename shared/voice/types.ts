/** A stretch of speech and when it was said, in milliseconds from the start of the (trimmed) recording. */
export interface Segment {
  startMs: number;
  endMs: number;
  text: string;
}

/** What an engine heard in one piece of audio. */
export interface Transcript {
  text: string;
  segments: Segment[];
}

export type AudioFormat = 'wav' | 'ogg' | 'mp3';

export const AUDIO_CONTENT_TYPES: Record<AudioFormat, string> = { wav: 'audio/wav', ogg: 'audio/ogg', mp3: 'audio/mpeg' };

/** A voice an engine offers. */
export interface Voice {
  id: string;
  name: string;
  engine: string;
  language: string;
}

/** Joins the text of segments as one transcript. */
export const joinSegments = (segments: Segment[]) =>
  segments
    .map((segment) => segment.text)
    .filter(Boolean)
    .join(' ');
