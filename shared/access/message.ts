import { ForbiddenError, NotFoundError } from '../errors.ts';
import { conversationAccessLevel, type ConversationAccessFacts, type Principal } from './conversation.ts';
import { atLeast, type AccessLevel } from './levels.ts';

/** What the access model needs to know of a message. */
export interface MessageAccessFacts {
  /** The person who posted it; null for a service account's message, or when the account is gone. */
  authorId: string | null;
  /** The service account that posted it; null for a person's message. */
  serviceAccountId: string | null;
  /** A `tool` message is a record of what ran (a code execution): nobody rewrites it. */
  role: MessageRole;
}

type MessageRule = (
  principal: Principal,
  level: AccessLevel,
  conversation: ConversationAccessFacts,
  message: MessageAccessFacts,
) => boolean;

/** Whether the principal posted the message: a person by their user id, a service account by its own. */
const isAuthor = (principal: Principal, message: MessageAccessFacts) =>
  (principal.type === 'user' && message.authorId !== null && principal.id === message.authorId) ||
  (principal.type === 'service' && message.serviceAccountId !== null && principal.id === message.serviceAccountId);
const isOwner = (principal: Principal, conversation: ConversationAccessFacts) =>
  principal.type === 'user' && principal.id === conversation.ownerId;

/**
 * Who may change which message, over already-loaded facts. Words are their author's: only the author
 * — the person, or the service account, that posted it — edits a message, while they may still write
 * to the conversation; never an admin, never the owner, so nobody can put words in another member's
 * name or in the AI's — and a `tool` message, the record of a code run, is edited by nobody. Deleting
 * is moderation: the author may delete their own, and whoever manages the conversation (a workspace
 * admin) or owns it may delete anyone's.
 */
export const MESSAGE_ACTIONS = {
  edit: (principal, level, _conversation, message) => message.role !== 'tool' && atLeast(level, 'write') && isAuthor(principal, message),
  delete: (principal, level, conversation, message) =>
    atLeast(level, 'manage') || (atLeast(level, 'write') && (isAuthor(principal, message) || isOwner(principal, conversation))),
} as const satisfies Record<string, MessageRule>;

export type MessageAction = keyof typeof MESSAGE_ACTIONS;

/** May the principal do this to the message? */
export function canOnMessage(
  principal: Principal | null,
  action: MessageAction,
  conversation: ConversationAccessFacts,
  message: MessageAccessFacts,
): boolean {
  if (!principal) return false;
  return MESSAGE_ACTIONS[action](principal, conversationAccessLevel(principal, conversation), conversation, message);
}

/**
 * Throws unless the principal may act on the message: NotFoundError when it may not even read the
 * conversation (nothing is revealed), ForbiddenError when it may read but not do this.
 */
export function authorizeOnMessage(
  principal: Principal | null,
  action: MessageAction,
  conversation: ConversationAccessFacts,
  message: MessageAccessFacts,
): void {
  if (!atLeast(conversationAccessLevel(principal, conversation), 'read')) throw new NotFoundError('Conversation not found');
  if (!canOnMessage(principal, action, conversation, message)) {
    throw new ForbiddenError(action === 'edit' ? 'Only its author may edit a message' : 'You may not delete this message');
  }
}

/** `tool`: the output of a code run, posted by the product's code runner on behalf of whoever ran it. */
export const MESSAGE_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

/**
 * Which roles each kind of principal posts. People (signed in, or holding a share link) speak as
 * `user`; `assistant` and `system` messages come only from service accounts, so nobody can put words
 * in the AI's mouth or slip an instruction to a model into a conversation. A service account does not
 * post `user` either: a `user` message is always a person's, which is what makes the role worth trusting.
 * Nobody posts `tool` through the messages API: only a code run does (rest-api/modules/code), so its
 * output is what really ran.
 */
export const MESSAGE_ROLES_BY_PRINCIPAL = {
  user: ['user'],
  share: ['user'],
  service: ['assistant', 'system'],
} as const satisfies Record<Principal['type'], readonly MessageRole[]>;

/** May the principal post a message with this role? */
export function canPostRole(principal: Principal | null, role: MessageRole): boolean {
  return principal !== null && (MESSAGE_ROLES_BY_PRINCIPAL[principal.type] as readonly MessageRole[]).includes(role);
}

/** Throws ForbiddenError unless the principal may post this role; call it once the conversation is authorized. */
export function authorizeMessageRole(principal: Principal | null, role: MessageRole): void {
  if (canPostRole(principal, role)) return;
  throw new ForbiddenError(
    role === 'tool'
      ? 'tool messages come only from code runs (POST /api/code/execute with a conversationId)'
      : principal?.type === 'service'
        ? 'A service account posts only assistant and system messages'
        : `People post only user messages; ${role} messages come only from service accounts (API keys)`,
  );
}
