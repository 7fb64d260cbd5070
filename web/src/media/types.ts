import type { components } from '../api.generated.ts';

// The voice and image API's shapes, read off the generated OpenAPI types (npm run api:types).
type Schemas = components['schemas'];

/** `POST /api/voice/transcribe`, `GET /api/voice/transcriptions/:id`, and the stream's `final`. */
export type Transcription = Schemas['VoiceTranscription'];
/** `POST /api/image/analyze` and `GET /api/image/analyses/:id`. */
export type ImageAnalysis = Schemas['ImageAnalysis'];
/** What a message's attachment carries of its image's analysis (`attachments[].analysis`). */
export type AttachmentAnalysis = NonNullable<Schemas['MessageAttachment']['analysis']>;

/** The analysis summary of a finished ImageAnalysis, as a message's attachment carries it. */
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

/**
 * What the server sends on the WebSocket `/api/voice/stream` (rest-api/modules/voice/voiceStream.ts),
 * which the OpenAPI document does not describe.
 */
export type StreamServerMessage =
  | { type: 'ready' }
  | { type: 'partial'; text: string }
  | { type: 'final'; data: Transcription }
  | { type: 'error'; error: { code: string; message: string } };
