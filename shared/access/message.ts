import { ForbiddenError, NotFoundError } from '../errors.ts';
import { conversationAccessLevel, type ConversationAccessFacts, type Principal } from './conversation.ts';
import { atLeast, type AccessLevel } from './levels.ts';

/** What the access model needs to know of a message. */
export interface MessageAccessFacts {
  /** Who posted it; null for messages of a service account or of an account that is gone. */
  authorId: string | null;
}

type MessageRule = (principal: Principal, level: AccessLevel, conversation: ConversationAccessFacts, message: MessageAccessFacts) => boolean;

const isAuthor = (principal: Principal, message: MessageAccessFacts) => principal.type === 'user' && message.authorId !== null && principal.id === message.authorId;
const isOwner = (principal: Principal, conversation: ConversationAccessFacts) => principal.type === 'user' && principal.id === conversation.ownerId;

/**
 * Who may change which message, over already-loaded facts. Words are their author's: only the author
 * edits a message, while they may still write to the conversation — never an admin, never the owner,
 * so nobody can put words in another member's name. Deleting is moderation: the author may delete their
 * own, and whoever manages the conversation (a workspace admin) or owns it may delete anyone's.
 */
export const MESSAGE_ACTIONS = {
  edit: (principal, level, _conversation, message) => atLeast(level, 'write') && isAuthor(principal, message),
  delete: (principal, level, conversation, message) =>
    atLeast(level, 'manage') || (atLeast(level, 'write') && (isAuthor(principal, message) || isOwner(principal, conversation))),
} as const satisfies Record<string, MessageRule>;

export type MessageAction = keyof typeof MESSAGE_ACTIONS;

/** May the principal do this to the message? */
export function canOnMessage(principal: Principal | null, action: MessageAction, conversation: ConversationAccessFacts, message: MessageAccessFacts): boolean {
  if (!principal) return false;
  return MESSAGE_ACTIONS[action](principal, conversationAccessLevel(principal, conversation), conversation, message);
}

/**
 * Throws unless the principal may act on the message: NotFoundError when it may not even read the
 * conversation (nothing is revealed), ForbiddenError when it may read but not do this.
 */
export function authorizeOnMessage(principal: Principal | null, action: MessageAction, conversation: ConversationAccessFacts, message: MessageAccessFacts): void {
  if (!atLeast(conversationAccessLevel(principal, conversation), 'read')) throw new NotFoundError('Conversation not found');
  if (!canOnMessage(principal, action, conversation, message)) {
    throw new ForbiddenError(action === 'edit' ? 'Only its author may edit a message' : 'You may not delete this message');
  }
}
