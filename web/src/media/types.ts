/**
 * The voice and image API's shapes, as the contract of issue 11 gives them: typed here until
 * api.generated.ts carries these routes (then they should be read from it, like api.ts does).
 */

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface EngineFallback {
  engine: string;
  reason: string;
}

export type JobStatus = 'pending' | 'running' | 'done' | 'failed';

/** `POST /api/voice/transcribe`, `GET /api/voice/transcriptions/:id`, and the stream's `final`. */
export interface Transcription {
  id: string;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  text: string;
  language: string;
  durationMs: number;
  engine: string | null;
  fallbacks: EngineFallback[];
  segments: Array<{ startMs: number; endMs: number; text: string }>;
  cached: boolean;
  attachmentId: string | null;
  messageId: string | null;
  error: ErrorInfo | null;
  createdAt: string;
}

/** A rectangle in pixels of the oriented original picture. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DetectedObject {
  label: string;
  score: number;
  box: Box;
}

/** `POST /api/image/analyze` and `GET /api/image/analyses/:id`. */
export interface ImageAnalysis {
  id: string;
  status: JobStatus;
  progress: number;
  metadata: { format: string; width: number; height: number; exif?: Record<string, unknown> } | null;
  thumbnailUrl: string | null;
  text: string;
  words: Array<{ text: string; confidence: number; box: Box }>;
  objects: DetectedObject[];
  description: string;
  engines: Partial<Record<'metadata' | 'thumbnail' | 'text' | 'objects' | 'description', string>>;
  fallbacks: EngineFallback[];
  cached: boolean;
  attachmentId: string | null;
  error: ErrorInfo | null;
  createdAt: string;
}

/** What a message's attachment carries of its image's analysis (`attachments[].analysis`). */
export interface AttachmentAnalysis {
  id: string;
  width: number;
  height: number;
  thumbnailUrl: string | null;
  text: string;
  objects: DetectedObject[];
  description: string;
}

/** The analysis summary of a finished ImageAnalysis, as a message's attachment would carry it. */
export function summarizeAnalysis(analysis: ImageAnalysis): AttachmentAnalysis {
  return {
    id: analysis.id,
    width: analysis.metadata?.width ?? 0,
    height: analysis.metadata?.height ?? 0,
    thumbnailUrl: analysis.thumbnailUrl,
    text: analysis.text,
    objects: analysis.objects,
    description: analysis.description,
  };
}

/** What the server sends on `/api/voice/stream`. */
export type StreamServerMessage =
  { type: 'ready' } | { type: 'partial'; text: string } | { type: 'final'; data: Transcription } | { type: 'error'; error: ErrorInfo };
