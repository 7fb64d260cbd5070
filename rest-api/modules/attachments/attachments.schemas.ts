import { z } from 'zod';
import { IdParam } from '../../http/schemas.ts';
import { AttachmentAnalysisSchema } from '../images/images.schemas.ts';

/**
 * What an attachment may be, by its sniffed type: images, audio, video, PDF, plain text and office
 * documents. Executables, archives and HTML are refused (415) whatever the client calls them.
 */
export const ATTACHMENT_TYPES = [
  'image/*',
  'audio/*',
  'video/*',
  'application/pdf',
  'text/plain',
  'application/rtf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/vnd.oasis.opendocument.presentation',
] as const;

/** Most attachments one message may carry. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;

export const UploadAttachmentSchema = z.object({ params: z.object({ id: IdParam }) });
export const AttachmentIdSchema = z.object({ params: z.object({ id: IdParam }) });

export const AttachmentSchema = z
  .object({
    id: z.uuid(),
    name: z.string().describe('The uploaded file’s name, sanitized; for display only'),
    contentType: z.string().describe('Sniffed from the bytes, not taken from the client'),
    size: z.number().int(),
    sha256: z.string().describe('Hex SHA-256 of the bytes'),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Attachment' });

/** An attachment as a message carries it: with what was found in it, for an image analysed with POST /api/image/analyze. */
export const MessageAttachmentSchema = AttachmentSchema.extend({
  analysis: AttachmentAnalysisSchema.nullable().describe('The analysis of the image, when it was analysed'),
}).meta({ id: 'MessageAttachment' });
