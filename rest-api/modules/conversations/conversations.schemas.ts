import { z } from 'zod';
import { MESSAGE_ROLES } from '@shared/access/index.ts';
import { pageQuery } from '../../http/pagination.ts';
import { IdParam, Text } from '../../http/schemas.ts';
import { MAX_ATTACHMENTS_PER_MESSAGE, MessageAttachmentSchema } from '../attachments/attachments.schemas.ts';

// Titles and contents are stored verbatim: escaping is the renderer's job, never the store's.
// PostgreSQL text cannot hold U+0000, so it is refused here rather than failing as a 500 at insert.
const Title = Text().trim().min(1).max(200);
const Content = Text().min(1).max(100_000);
const Role = z.enum(MESSAGE_ROLES);

/** A message's text as every entry point takes it (REST, MCP). */
export const MessageContent = Content;

export const CreateConversationSchema = z.object({
  body: z.strictObject({ title: Title, workspaceId: IdParam.optional() }),
});
export const ListConversationsSchema = z.object({
  query: pageQuery('seq').extend({
    workspaceId: IdParam.optional().describe('List this workspace’s conversations instead of your personal ones'),
  }),
});
export const ConversationIdSchema = z.object({ params: z.object({ id: IdParam }) });
export const UpdateConversationSchema = z.object({
  params: z.object({ id: IdParam }),
  body: z.strictObject({ title: Title }),
});

export const ListMessagesSchema = z.object({ params: z.object({ id: IdParam }), query: pageQuery('seq') });
export const PostMessageSchema = z.object({
  params: z.object({ id: IdParam }),
  body: z.strictObject({
    role: Role.describe(
      '`user` from a person; `assistant` or `system` from a service account (API key); `tool` only from code runs — anything else is 403',
    ),
    content: Content,
    attachmentIds: z
      .array(z.uuid())
      .max(MAX_ATTACHMENTS_PER_MESSAGE)
      .refine((ids) => new Set(ids).size === ids.length, 'must not name an attachment twice')
      .optional()
      .describe('Attachments you uploaded to this conversation and have not put on a message yet'),
  }),
});
export const MessageIdSchema = z.object({ params: z.object({ id: IdParam, messageId: IdParam }) });
export const UpdateMessageSchema = z.object({
  params: z.object({ id: IdParam, messageId: IdParam }),
  body: z.strictObject({ content: Content }),
});

export const ConversationSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    ownerId: z.uuid(),
    workspaceId: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    policies: z.record(z.string(), z.boolean()).describe('What the caller may do: read, update, delete, share, …'),
  })
  .meta({ id: 'Conversation' });

/** A code run as its `tool` message carries it (shared/documents/conversationDocument.ts › DocumentExecution). */
export const MessageExecutionSchema = z
  .object({
    id: z.uuid().describe('The run (`GET /api/code/executions/{id}`, for whoever ran it)'),
    language: z.string(),
    code: z.string(),
    stdout: z.string(),
    stderr: z.string(),
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable(),
    durationMs: z.number().int(),
    limit: z.enum(['time', 'memory', 'output', 'processes']).nullable().describe('The limit that stopped the run, if one did'),
    truncated: z.object({ stdout: z.boolean(), stderr: z.boolean() }),
    sourceMessageId: z.uuid().nullable().describe('The message whose code block ran, if it was one'),
  })
  .meta({ id: 'MessageExecution' });

export const MessageSchema = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    role: Role,
    authorId: z.uuid().nullable().describe('The person who posted it; null for a service account’s message, or once the account is gone'),
    serviceAccountId: z.uuid().nullable().describe('The service account (API key) that posted it — the AI; null for a person’s message'),
    content: z.string(),
    editedBy: z.uuid().nullable().describe('Who last edited the text: only its author may (null for a service account’s own edits)'),
    editedAt: z.iso.datetime().nullable().describe('When the text was last edited; null if never'),
    attachments: z.array(MessageAttachmentSchema).describe('In upload order; download each at `/api/attachments/{id}`'),
    execution: MessageExecutionSchema.nullable().describe('On `tool` messages: the code run it records; null otherwise'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Message' });
