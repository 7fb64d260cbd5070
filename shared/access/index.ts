import { ForbiddenError, NotFoundError } from '../errors.ts';
import {
  CONVERSATION_ACTIONS,
  conversationAccessLevel,
  type ConversationAccessFacts,
  type ConversationAction,
  type Principal,
} from './conversation.ts';
import { atLeast } from './levels.ts';

export * from './levels.ts';
export * from './conversation.ts';
export * from './message.ts';
export * from './share.ts';
export * from './workspace.ts';

/** May the actor do this to the conversation? */
export function can(actor: Principal | null, action: ConversationAction, conversation: ConversationAccessFacts): boolean {
  return atLeast(conversationAccessLevel(actor, conversation), CONVERSATION_ACTIONS[action]);
}

/**
 * Throws unless the actor may act. An actor who may not even read gets NotFoundError, so the
 * conversation's existence is never revealed; one who may read but not do this gets ForbiddenError.
 */
export function authorize(actor: Principal | null, action: ConversationAction, conversation: ConversationAccessFacts): void {
  const level = conversationAccessLevel(actor, conversation);
  if (!atLeast(level, 'read')) throw new NotFoundError('Conversation not found');
  if (!atLeast(level, CONVERSATION_ACTIONS[action])) throw new ForbiddenError();
}

/** The actions this actor may take, for clients that adapt their UI (e.g. TipTap's `editable`). */
export function conversationPolicies(actor: Principal | null, conversation: ConversationAccessFacts): Record<ConversationAction, boolean> {
  const level = conversationAccessLevel(actor, conversation);
  const entries = Object.entries(CONVERSATION_ACTIONS).map(([action, required]) => [action, atLeast(level, required)]);
  return Object.fromEntries(entries) as Record<ConversationAction, boolean>;
}
