import { z } from 'zod';
import { IdParam, Text } from '../../http/schemas.ts';

/** Longest text synthesized, in characters (Google Text-to-Speech's cap). */
export const MAX_SYNTHESIS_CHARS = 5_000;

/**
 * What a voice upload may be, by its sniffed type: audio, and the video containers audio is recorded in
 * (a MediaRecorder's audio-only WebM sniffs as video/webm, an m4a may sniff as video/mp4). ffmpeg then
 * checks that it holds an audio stream.
 */
export const VOICE_UPLOAD_TYPES = ['audio/*', 'video/webm', 'video/mp4', 'video/ogg', 'application/ogg'] as const;

const Language = z
  .string()
  .regex(/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/, 'must be a BCP-47 language tag such as en-US')
  .default('en-US')
  .describe('BCP-47 language of the speech; default en-US (the local engine knows US English only)');

export const TranscribeSchema = z.object({
  query: z
    .object({
      language: Language,
      conversationId: IdParam.optional().describe('Keep the audio as an attachment of this conversation (you must be able to post there)'),
      post: z
        .enum(['true', 'false'])
        .transform((value) => value === 'true')
        .optional()
        .describe('With `conversationId`: post the transcript as a message with the audio attached'),
    })
    .refine((query) => !query.post || query.conversationId, { message: 'post=true needs a conversationId', path: ['post'] }),
});
export type TranscribeQuery = z.output<typeof TranscribeSchema>['query'];

export const TranscriptionIdSchema = z.object({ params: z.object({ id: IdParam }) });

export const SynthesizeSchema = z.object({
  body: z.strictObject({
    text: Text().min(1).max(MAX_SYNTHESIS_CHARS).describe(`What to say, 1 to ${MAX_SYNTHESIS_CHARS} characters`),
    voice: z.string().max(100).optional().describe('A voice id from GET /api/voice/voices; default the engine’s own'),
    format: z.enum(['wav', 'ogg', 'mp3']).optional().describe('Default from `Accept` (audio/ogg, audio/mpeg), else wav'),
  }),
});

const ErrorDetail = z.object({ code: z.string(), message: z.string() });

export const TranscriptionSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['pending', 'running', 'done', 'failed']),
    progress: z.number().min(0).max(1),
    text: z.string(),
    language: z.string(),
    durationMs: z.number().int().describe('Length of the recording once silence at both ends is trimmed'),
    engine: z.string().nullable().describe('openai, google or pocketsphinx; null until done'),
    fallbacks: z.array(z.object({ engine: z.string(), reason: z.string() })).describe('Engines that failed before the one that answered'),
    segments: z.array(z.object({ startMs: z.number().int(), endMs: z.number().int(), text: z.string() })),
    cached: z.boolean().describe('The same bytes were transcribed before: no engine ran'),
    attachmentId: z.uuid().nullable(),
    messageId: z.uuid().nullable(),
    error: ErrorDetail.nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'VoiceTranscription' });

export const VoiceSchema = z.object({ id: z.string(), name: z.string(), engine: z.string(), language: z.string() }).meta({ id: 'Voice' });
