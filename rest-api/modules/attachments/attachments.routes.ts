import type { Request, RequestHandler } from 'express';
import { z } from 'zod';
import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf, ErrorResponseSchema } from '../../http/schemas.ts';
import { createAuthenticateUserOrShare, principalOf } from '../../middleware/authenticateUserOrShare.ts';
import { findConversationForActor } from '../conversations/findConversationForActor.ts';
import { presentAttachment } from './attachment.presenter.ts';
import { newAttachmentKey } from './attachmentKeys.ts';
import { ATTACHMENT_TYPES, AttachmentIdSchema, AttachmentSchema, UploadAttachmentSchema } from './attachments.schemas.ts';
import { createAttachment } from './createAttachment.ts';
import { findAttachmentForReader } from './findAttachmentForReader.ts';
import { sendAttachment } from './sendAttachment.ts';

const tag = 'attachments';

/** The conversation id of a validated upload request. */
const conversationIdOf = (req: Request) => (req.input as z.infer<typeof UploadAttachmentSchema>).params.id;

/** Files on messages: uploaded to a conversation, attached when a message is posted, downloaded by its readers. */
export function attachmentRoutes(api: ApiRouter, services: Services): void {
  const { db, storage, log, config } = services;

  // Before a byte of the body is read: nobody streams into storage what they may not attach.
  const mayAttach: RequestHandler = async (req, _res, next) => {
    await findConversationForActor(db, req.actor!, conversationIdOf(req), 'postMessage');
    next();
  };

  api.route(
    {
      method: 'post',
      path: '/api/conversations/:id/attachments',
      tag,
      summary: 'Upload a file (multipart `file`) to a conversation you may post in; attach it with `attachmentIds` when posting a message',
      request: UploadAttachmentSchema,
      errors: [403, 404],
      before: [mayAttach],
      upload: {
        field: 'file',
        maxBytes: config.ATTACHMENT_MAX_BYTES,
        accept: ATTACHMENT_TYPES,
        storage,
        key: (req) => newAttachmentKey(conversationIdOf(req)),
      },
      responses: { 201: { description: 'Stored', schema: dataOf(AttachmentSchema) } },
    },
    async (req, res) => {
      const attachment = await createAttachment(
        { db, storage, log },
        { actor: req.actor, conversationId: req.input.params.id, file: req.upload! },
      );
      res.status(201).json({ data: presentAttachment(attachment) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/attachments/:id',
      tag,
      auth: false,
      summary:
        'Download an attachment, whole or one `Range`. Bearer: an access token, or the share token of a share view of its conversation',
      request: AttachmentIdSchema,
      errors: [401, 404],
      before: [createAuthenticateUserOrShare(services.tokens, services.accessTokens)],
      responses: {
        200: {
          description: 'The bytes, as their sniffed type',
          schema: z.string().meta({ format: 'binary' }),
          contentType: 'application/octet-stream',
        },
        206: { description: 'The requested range', schema: z.string().meta({ format: 'binary' }), contentType: 'application/octet-stream' },
        416: { description: 'The range lies outside the file', schema: ErrorResponseSchema },
      },
    },
    async (req, res) => {
      const attachment = await findAttachmentForReader(db, principalOf(req), req.input.params.id);
      await sendAttachment({ storage, log }, req, res, attachment);
    },
  );
}
