import { z } from 'zod';
import { SHARE_PERMISSIONS } from '@shared/access/index.ts';
import { pageQuery } from '../../http/pagination.ts';
import { IdParam, Text } from '../../http/schemas.ts';
import { ConversationSchema, MessageSchema } from '../conversations/conversations.schemas.ts';

const Permission = z.enum(SHARE_PERMISSIONS);

/**
 * A share id in a path. Ids are 24 base64url characters; anything else cannot name a share, so it
 * becomes '' (which names none) and answers the very same 404 as a well-formed id nobody issued.
 */
const SHARE_ID_PATTERN = /^[\w-]{1,64}$/;
const ShareIdParam = z.string().transform((id) => (SHARE_ID_PATTERN.test(id) ? id : ''));

// Same bounds as account passwords: long enough to resist guessing, short enough to cap argon2 work.
const NewPassword = Text().min(8, 'must be at least 8 characters').max(256);

const ExpiresAt = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value))
  .refine((date) => date.getTime() > Date.now(), 'must be in the future');

export const CreateShareSchema = z.object({
  body: z.strictObject({
    conversationId: IdParam,
    permission: Permission,
    password: NewPassword.optional(),
    expiresAt: ExpiresAt.optional(),
    // Below PostgreSQL's integer limit, with room to spare.
    maxViews: z.number().int().min(1).max(1_000_000_000).optional(),
  }),
});
export type CreateShareInput = z.infer<typeof CreateShareSchema>['body'];

export const ListSharesSchema = z.object({ query: pageQuery('timestamp', 'id').extend({ conversationId: IdParam }) });

export const ShareIdSchema = z.object({ params: z.object({ id: ShareIdParam }) });

export const ShareQrCodeSchema = z.object({
  params: z.object({ id: ShareIdParam }),
  query: z.strictObject({ format: z.enum(['png', 'svg']).default('png') }),
});

export const ViewShareSchema = z.object({
  params: z.object({ id: ShareIdParam }),
  // A share without a password may be opened with no body at all.
  body: z.strictObject({ password: Text().min(1).max(256).optional() }).optional(),
});

export const ShareSchema = z
  .object({
    id: z.string().describe('The capability: whoever holds it may open the link'),
    conversationId: z.uuid(),
    permission: Permission,
    url: z.url().describe('`APP_URL/share/<id>`: the link to hand out'),
    hasPassword: z.boolean(),
    expiresAt: z.iso.datetime().nullable(),
    maxViews: z.number().int().nullable(),
    viewCount: z.number().int(),
    revokedAt: z.iso.datetime().nullable(),
    createdBy: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Share' });

export const CreatedShareSchema = ShareSchema.extend({
  qrCode: z.string().describe('The link as a QR code: a `data:image/png;base64,…` URL'),
}).meta({ id: 'CreatedShare' });

export const SharedConversationSchema = ConversationSchema.pick({
  id: true,
  title: true,
  createdAt: true,
  updatedAt: true,
  policies: true,
}).meta({ id: 'SharedConversation' });

// Who wrote or edited a message — a person's account or a service account — is not the public's to know (the role tells an AI's).
export const SharedMessageSchema = MessageSchema.omit({ authorId: true, serviceAccountId: true, editedBy: true }).meta({
  id: 'SharedMessage',
});

export const ShareViewSchema = z
  .object({
    conversation: SharedConversationSchema,
    messages: z.array(SharedMessageSchema).describe('Oldest first, at most the first 500'),
    hasMoreMessages: z.boolean().describe('True when the conversation holds more messages than `messages`'),
    token: z.string().describe('Share token for the collaboration server (`conversation:<id>` at `permission`)'),
    permission: Permission,
    expiresAt: z.iso.datetime().describe('When `token` lapses: never later than the share itself'),
  })
  .meta({ id: 'ShareView' });
