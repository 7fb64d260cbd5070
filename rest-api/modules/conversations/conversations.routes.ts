import type { Services } from '@shared/services.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf, pageOf } from '../../http/schemas.ts';
import { deleteMessage } from './deleteMessage.ts';
import { updateMessage } from './updateMessage.ts';
import { presentPage } from '../../http/pagination.ts';
import { presentConversation, presentMessage } from './conversation.presenter.ts';
import {
  ConversationIdSchema,
  ConversationSchema,
  CreateConversationSchema,
  ListConversationsSchema,
  ListMessagesSchema,
  MessageIdSchema,
  MessageSchema,
  PostMessageSchema,
  UpdateConversationSchema,
  UpdateMessageSchema,
} from './conversations.schemas.ts';
import { findMessage, listMessages } from './conversations.repo.ts';
import { createConversation } from './createConversation.ts';
import { deleteConversation } from './deleteConversation.ts';
import { findConversationForActor } from './findConversationForActor.ts';
import { listConversationsForActor } from './listConversationsForActor.ts';
import { postMessage } from './postMessage.ts';
import { updateConversation } from './updateConversation.ts';
import { NotFoundError } from '@shared/errors.ts';
import { withAttachments } from '../attachments/withAttachments.ts';

const tag = 'conversations';

/**
 * Conversations and their messages. Every access decision goes through shared/access. Reading a
 * conversation and working with its messages also take a service account's API key (`apiKeys`), within
 * its scope; creating, listing, renaming and deleting conversations are for people.
 */
export function conversationRoutes(api: ApiRouter, { db, bus, storage, log }: Services): void {
  api.route(
    {
      method: 'post',
      path: '/api/conversations',
      tag,
      summary: 'Create a conversation, personal or in a workspace',
      request: CreateConversationSchema,
      errors: [403, 404],
      responses: { 201: { description: 'Created', schema: dataOf(ConversationSchema) } },
    },
    async (req, res) => {
      const conversation = await createConversation(db, { actor: req.actor, ...req.input.body });
      res.status(201).json({ data: presentConversation(conversation, req.actor) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/conversations',
      tag,
      summary: 'List your personal conversations, or a workspace’s with `workspaceId`, newest first',
      request: ListConversationsSchema,
      errors: [404],
      responses: { 200: { description: 'A page', schema: pageOf(ConversationSchema) } },
    },
    async (req, res) => {
      const { limit, cursor, workspaceId } = req.input.query;
      const rows = await listConversationsForActor(db, { actor: req.actor, workspaceId, limit, after: cursor?.[0] });
      res.json(
        presentPage(
          rows,
          limit,
          (row) => [row.seq],
          (row) => presentConversation(row, req.actor),
        ),
      );
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/conversations/:id',
      tag,
      summary: 'Get a conversation',
      request: ConversationIdSchema,
      apiKeys: true,
      errors: [404],
      responses: { 200: { description: 'The conversation', schema: dataOf(ConversationSchema) } },
    },
    async (req, res) => {
      const conversation = await findConversationForActor(db, req.principal, req.input.params.id, 'read');
      res.json({ data: presentConversation(conversation, req.principal) });
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/api/conversations/:id',
      tag,
      summary: 'Rename a conversation',
      request: UpdateConversationSchema,
      errors: [403, 404],
      responses: { 200: { description: 'Updated', schema: dataOf(ConversationSchema) } },
    },
    async (req, res) => {
      const conversation = await updateConversation(db, bus, { actor: req.actor, id: req.input.params.id, ...req.input.body });
      res.json({ data: presentConversation(conversation, req.actor) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/conversations/:id',
      tag,
      summary: 'Delete a conversation and its messages',
      request: ConversationIdSchema,
      errors: [403, 404],
      responses: { 204: { description: 'Deleted' } },
    },
    async (req, res) => {
      await deleteConversation(db, bus, { actor: req.actor, id: req.input.params.id }, { storage, log });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/conversations/:id/messages',
      tag,
      summary: 'List messages, oldest first',
      apiKeys: true,
      request: ListMessagesSchema,
      errors: [404],
      responses: { 200: { description: 'A page', schema: pageOf(MessageSchema) } },
    },
    async (req, res) => {
      const { params, query } = req.input;
      await findConversationForActor(db, req.principal, params.id, 'read');
      const rows = await withAttachments(db, await listMessages(db, params.id, { limit: query.limit, after: query.cursor?.[0] }));
      res.json(presentPage(rows, query.limit, (row) => [row.seq], presentMessage));
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/conversations/:id/messages',
      tag,
      request: PostMessageSchema,
      apiKeys: true,
      summary: 'Post a message: people post `user` messages, service accounts (API keys) `assistant` and `system` ones (403 otherwise)',
      errors: [403, 404, 409],
      responses: { 201: { description: 'Posted', schema: dataOf(MessageSchema) } },
    },
    async (req, res) => {
      const message = await postMessage(db, bus, { actor: req.principal, conversationId: req.input.params.id, ...req.input.body });
      // Read back with withAttachments: an analysed image's attachment carries its analysis.
      const [withAnalyses] = message.attachments.length > 0 ? await withAttachments(db, [message]) : [message];
      res.status(201).json({ data: presentMessage(withAnalyses) });
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/conversations/:id/messages/:messageId',
      tag,
      summary: 'Get a message',
      apiKeys: true,
      request: MessageIdSchema,
      errors: [404],
      responses: { 200: { description: 'The message', schema: dataOf(MessageSchema) } },
    },
    async (req, res) => {
      const { id, messageId } = req.input.params;
      await findConversationForActor(db, req.principal, id, 'read');
      const message = await findMessage(db, id, messageId);
      if (!message) throw new NotFoundError('Message not found');
      const [withFiles] = await withAttachments(db, [message]);
      res.json({ data: presentMessage(withFiles!) });
    },
  );

  api.route(
    {
      method: 'patch',
      path: '/api/conversations/:id/messages/:messageId',
      tag,
      summary: 'Edit a message: its author’s only, a person or a service account',
      request: UpdateMessageSchema,
      errors: [403, 404],
      apiKeys: true,
      responses: { 200: { description: 'Updated', schema: dataOf(MessageSchema) } },
    },
    async (req, res) => {
      const { id, messageId } = req.input.params;
      const message = await updateMessage(db, bus, { actor: req.principal, conversationId: id, messageId, ...req.input.body });
      res.json({ data: presentMessage(message) });
    },
  );

  api.route(
    {
      method: 'delete',
      path: '/api/conversations/:id/messages/:messageId',
      tag,
      summary: 'Delete a message',
      apiKeys: true,
      request: MessageIdSchema,
      errors: [403, 404],
      responses: { 204: { description: 'Deleted' } },
    },
    async (req, res) => {
      const { id, messageId } = req.input.params;
      await deleteMessage(db, bus, { actor: req.principal, conversationId: id, messageId });
      res.status(204).end();
    },
  );
}
