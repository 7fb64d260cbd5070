import type { Knex } from 'knex';
import type { Actor } from '@shared/auth.ts';
import type { Bus } from '@shared/bus.ts';
import { AppError } from '@shared/errors.ts';
import { findConversationForActor } from '../../conversations/findConversationForActor.ts';
import { postMessage } from '../../conversations/postMessage.ts';
import { readConversationOpening } from '../../conversations/readConversationOpening.ts';
import { CapabilityError, stringArgument } from './CapabilityError.ts';

/** Most messages `conversation.read` returns (oldest first). */
export const READ_MESSAGE_LIMIT = 500;
/** Longest message `conversation.post` takes, in characters. */
export const POST_MAX_CHARS = 32_768;

interface Context {
  db: Knex;
  bus: Bus;
  actor: Actor;
  /** The conversation the tool was invoked in; the only one these capabilities reach. */
  conversationId?: string;
}

function invokedConversation(context: Context): string {
  if (!context.conversationId) throw new CapabilityError('no_conversation', 'The tool was not invoked in a conversation');
  return context.conversationId;
}

/** Access errors become capability errors: the plugin learns the call was refused, nothing more. */
async function asCapability<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AppError && error.status < 500) throw new CapabilityError('conversation_forbidden', error.message);
    throw error;
  }
}

/**
 * The messages of the conversation the tool was invoked in, as the caller may read them (checked
 * again on every call: access lost mid-invocation reads nothing).
 */
export async function readInvokedConversation(context: Context) {
  const conversationId = invokedConversation(context);
  return asCapability(async () => {
    await findConversationForActor(context.db, context.actor, conversationId, 'read');
    const opening = await readConversationOpening(context.db, conversationId, READ_MESSAGE_LIMIT);
    if (!opening) throw new CapabilityError('conversation_forbidden', 'Conversation not found');
    return {
      conversationId,
      title: opening.conversation.title,
      messages: opening.messages.map((message) => ({
        id: message.id,
        role: message.role,
        authorId: message.author_id,
        content: message.content,
        createdAt: message.created_at.toISOString(),
      })),
      hasMore: opening.hasMoreMessages,
    };
  });
}

/** Posts `text` to the invoked conversation as the caller, exactly as REST would (access, audit, the live room). */
export async function postToInvokedConversation(context: Context, args: unknown[]) {
  const conversationId = invokedConversation(context);
  const content = stringArgument(args[0], 'text', POST_MAX_CHARS)!;
  if (content.trim() === '') throw new CapabilityError('invalid_argument', 'text must not be empty');
  return asCapability(async () => {
    const message = await postMessage(context.db, context.bus, { actor: context.actor, conversationId, role: 'user', content });
    return { id: message.id, createdAt: message.created_at.toISOString() };
  });
}
