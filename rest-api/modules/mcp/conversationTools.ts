import { z } from 'zod';
import type { Principal } from '@shared/access/index.ts';
import type { Bus } from '@shared/bus.ts';
import type { Config } from '@shared/config.ts';
import type { Db } from '@shared/db.ts';
import { readDraftText } from '@shared/documents/conversationDraft.ts';
import { NotFoundError } from '@shared/errors.ts';
import { IdParam, Text } from '../../http/schemas.ts';
import { appendToDraft } from '../conversations/appendToDraft.ts';
import { presentConversation, presentMessage } from '../conversations/conversation.presenter.ts';
import { MessageContent } from '../conversations/conversations.schemas.ts';
import { listConversationsForActor } from '../conversations/listConversationsForActor.ts';
import { postMessage } from '../conversations/postMessage.ts';
import { readConversationOpening } from '../conversations/readConversationOpening.ts';
import { authorizeConversation } from './authorizeConversation.ts';
import { ADDITIVE, READ_ONLY, jsonResult, type McpToolDescriptor, type McpToolSource } from './McpToolSource.ts';

interface Deps {
  db: Db;
  bus: Bus;
  config: Pick<Config, 'COLLAB_MAX_DOCUMENT_BYTES'>;
}

const ConversationId = IdParam.describe('The conversation’s id');

/** Each tool's arguments. */
const schemas = {
  list_conversations: z.object({
    workspaceId: IdParam.optional().describe('List this workspace’s conversations instead of your personal ones'),
    limit: z.number().int().min(1).max(100).default(20).describe('How many, newest first (1–100, default 20)'),
  }),
  read_conversation: z.object({
    conversationId: ConversationId,
    limit: z.number().int().min(1).max(100).default(50).describe('How many messages, oldest first (1–100, default 50)'),
  }),
  post_message: z.object({ conversationId: ConversationId, content: MessageContent.describe('The message’s text') }),
  read_draft: z.object({ conversationId: ConversationId }),
  append_to_draft: z.object({
    conversationId: ConversationId,
    text: Text().min(1).max(100_000).describe('Plain text; each line becomes a paragraph at the end of the draft'),
  }),
};

type ToolName = keyof typeof schemas;
type Args<N extends ToolName> = z.output<(typeof schemas)[N]>;

interface ConversationTool<N extends ToolName> {
  descriptor: Omit<McpToolDescriptor, 'name' | 'inputSchema'>;
  /** Who gets the tool listed at all; each call still asks the access model about its conversation. */
  offeredTo: ReadonlyArray<Principal['type']>;
  run(principal: Principal, args: Args<N>): Promise<unknown>;
}

/**
 * The product's own MCP tools: conversations, their messages and the shared draft, each through the
 * same commands and access rules as REST. A share token's holder gets the read tools, for its one
 * conversation; a service account what its API key may do over REST (read, post `assistant` messages).
 */
export function createConversationTools({ db, bus, config }: Deps): McpToolSource {
  const tools: { [N in ToolName]: ConversationTool<N> } = {
    list_conversations: {
      descriptor: {
        title: 'List conversations',
        description: 'Your personal conversations, or a workspace’s with workspaceId, newest first.',
        annotations: READ_ONLY,
      },
      offeredTo: ['user'],
      async run(principal, { workspaceId, limit }) {
        if (principal.type !== 'user') throw new NotFoundError('Conversation not found');
        const rows = await listConversationsForActor(db, { actor: principal, workspaceId, limit });
        return {
          conversations: rows.slice(0, limit).map((row) => presentConversation(row, principal)),
          hasMore: rows.length > limit,
        };
      },
    },
    read_conversation: {
      descriptor: {
        title: 'Read a conversation',
        description: 'A conversation’s title and its first messages, oldest first.',
        annotations: READ_ONLY,
      },
      offeredTo: ['user', 'service', 'share'],
      async run(principal, { conversationId, limit }) {
        await authorizeConversation(db, principal, conversationId, 'read');
        const opening = await readConversationOpening(db, conversationId, limit);
        if (!opening) throw new NotFoundError('Conversation not found');
        const { conversation } = opening;
        return {
          conversation: { id: conversation.id, title: conversation.title, workspaceId: conversation.workspace_id },
          messages: opening.messages.map(presentMessage),
          hasMoreMessages: opening.hasMoreMessages,
        };
      },
    },
    post_message: {
      descriptor: {
        title: 'Post a message',
        description: 'Posts a message to a conversation you may write to (as yourself; an API key posts as the assistant).',
        annotations: ADDITIVE,
      },
      offeredTo: ['user', 'service'],
      async run(principal, { conversationId, content }) {
        if (principal.type === 'share') throw new NotFoundError('Conversation not found');
        const role = principal.type === 'service' ? 'assistant' : 'user';
        return presentMessage(await postMessage(db, bus, { actor: principal, conversationId, role, content }));
      },
    },
    read_draft: {
      descriptor: {
        title: 'Read the shared draft',
        description: 'The message the conversation’s people are writing together, as plain text (one line per paragraph).',
        annotations: READ_ONLY,
      },
      offeredTo: ['user', 'service', 'share'],
      async run(principal, { conversationId }) {
        await authorizeConversation(db, principal, conversationId, 'read');
        const text = await readDraftText(db, conversationId);
        if (text === undefined) throw new NotFoundError('Conversation not found');
        return { conversationId, text };
      },
    },
    append_to_draft: {
      descriptor: {
        title: 'Append to the shared draft',
        description: 'Adds text at the end of the shared draft, one paragraph per line; everyone editing it sees it at once.',
        annotations: ADDITIVE,
      },
      offeredTo: ['user'],
      async run(principal, { conversationId, text }) {
        if (principal.type === 'share') throw new NotFoundError('Conversation not found');
        await appendToDraft(db, bus, { actor: principal, conversationId, text, maxDocumentBytes: config.COLLAB_MAX_DOCUMENT_BYTES });
        return { conversationId, appended: text.split(/\r?\n/).length };
      },
    },
  };

  const isToolName = (name: string): name is ToolName => Object.hasOwn(tools, name);

  return {
    async list(principal) {
      return (Object.keys(tools) as ToolName[])
        .filter((name) => tools[name].offeredTo.includes(principal.type))
        .map((name) => ({ name, inputSchema: schemas[name].shape, ...tools[name].descriptor }));
    },
    async call(principal, name, args) {
      if (!isToolName(name) || !tools[name].offeredTo.includes(principal.type)) throw new NotFoundError(`Tool ${name} not found`);
      return jsonResult(await runTool(tools, name, principal, args));
    },
  };
}

/**
 * Runs one tool with its own argument type (TypeScript cannot pair a name with its tool across a union
 * by itself). The SDK validated the arguments already; parsing them again types them, at no risk.
 */
function runTool<N extends ToolName>(
  tools: { [K in ToolName]: ConversationTool<K> },
  name: N,
  principal: Principal,
  args: Record<string, unknown>,
): Promise<unknown> {
  const tool: ConversationTool<N> = tools[name];
  return tool.run(principal, schemas[name].parse(args) as Args<N>);
}
