import { z } from 'zod';
import { IMAGE_FEATURES, type ImageFeature } from '@shared/vision/VisionEngines.ts';
import { IdParam } from '../../http/schemas.ts';

/** What the analyze route takes, by type sniffed from the bytes: what sharp decodes here. */
export const IMAGE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/gif',
  'image/tiff',
  'image/avif',
  'image/heic',
  'image/heif',
] as const;

const Features = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return [...IMAGE_FEATURES];
    const asked = value.split(',').map((feature) => feature.trim());
    const unknown = asked.filter((feature) => !(IMAGE_FEATURES as readonly string[]).includes(feature));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown feature ${unknown.join(', ')}; one of ${IMAGE_FEATURES.join(', ')}` });
      return z.NEVER;
    }
    // Canonical order: the cache matches on the set, however the client listed it.
    return IMAGE_FEATURES.filter((feature): feature is ImageFeature => asked.includes(feature));
  })
  .describe(`Comma-separated, from ${IMAGE_FEATURES.join(', ')}; default all`);

export const AnalyzeImageSchema = z.object({
  query: z.object({
    conversationId: IdParam.optional().describe('Keep the image as an attachment of this conversation (you must be allowed to post there)'),
    features: Features,
  }),
});
export type AnalyzeImageQuery = z.infer<typeof AnalyzeImageSchema>['query'];

export const AnalysisIdSchema = z.object({ params: z.object({ id: IdParam }) });

const BoxSchema = z
  .object({ x: z.number(), y: z.number(), width: z.number(), height: z.number() })
  .describe('Pixels of the oriented original');
const DetectedObjectSchema = z.object({ label: z.string(), score: z.number().describe('0–1'), box: BoxSchema });

export const ImageAnalysisSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['pending', 'running', 'done', 'failed']),
    progress: z.number().min(0).max(1),
    metadata: z
      .object({
        format: z.string(),
        width: z.number().int().describe('With the EXIF orientation applied'),
        height: z.number().int(),
        exif: z
          .object({
            orientation: z.number().int().optional(),
            make: z.string().optional(),
            model: z.string().optional(),
            takenAt: z.string().optional(),
            modifiedAt: z.string().optional(),
            hasGps: z.boolean().describe('Whether the original carried a GPS position; it is never reported, and the thumbnail has none'),
          })
          .optional(),
      })
      .nullable(),
    thumbnailUrl: z.string().nullable().describe('WebP, at most 512 px a side, without EXIF'),
    text: z.string(),
    words: z.array(z.object({ text: z.string(), confidence: z.number().describe('0–100'), box: BoxSchema })),
    objects: z.array(DetectedObjectSchema),
    labels: z.array(z.string()).describe('What the image shows, from a cloud engine; empty on the local engines'),
    description: z.string(),
    engines: z
      .object({
        metadata: z.string().optional(),
        thumbnail: z.string().optional(),
        text: z.string().optional(),
        objects: z.string().optional(),
        description: z.string().optional(),
      })
      .describe('The engine that produced each feature: sharp, tesseract, centernet, local, openai, google'),
    fallbacks: z.array(z.object({ engine: z.string(), reason: z.string() })).describe('Cloud engines that failed first, and why'),
    cached: z.boolean().describe('True when an earlier analysis of the same bytes answered, and no engine ran'),
    attachmentId: z.uuid().nullable(),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'ImageAnalysis' });

/** What a message's attachment carries of its image's analysis. */
export const AttachmentAnalysisSchema = z
  .object({
    id: z.uuid(),
    width: z.number().int(),
    height: z.number().int(),
    thumbnailUrl: z.string().nullable(),
    text: z.string(),
    objects: z.array(DetectedObjectSchema),
    description: z.string(),
  })
  .meta({ id: 'AttachmentAnalysis' });
