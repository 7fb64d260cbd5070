import { ForbiddenError, NotFoundError } from '../errors.ts';
import {
  CONVERSATION_ACTIONS,
  conversationAccessLevel,
  type ConversationAccessFacts,
  type ConversationAction,
  type Principal,
} from './conversation.ts';
import { atLeast, type AccessLevel } from './levels.ts';
import { SERVICE_ACCOUNT_CONVERSATION_ACTIONS } from './serviceAccount.ts';

export * from './levels.ts';
export * from './conversation.ts';
export * from './message.ts';
export * from './serviceAccount.ts';
export * from './share.ts';
export * from './workspace.ts';

/** Whether the level grants the action, for this kind of principal (service accounts take only some actions). */
function grants(actor: Principal | null, level: AccessLevel, action: ConversationAction): boolean {
  if (actor?.type === 'service' && !SERVICE_ACCOUNT_CONVERSATION_ACTIONS.has(action)) return false;
  return atLeast(level, CONVERSATION_ACTIONS[action]);
}

/** May the actor do this to the conversation? */
export function can(actor: Principal | null, action: ConversationAction, conversation: ConversationAccessFacts): boolean {
  return grants(actor, conversationAccessLevel(actor, conversation), action);
}

/**
 * Throws unless the actor may act. An actor who may not even read gets NotFoundError, so the
 * conversation's existence is never revealed; one who may read but not do this gets ForbiddenError.
 */
export function authorize(actor: Principal | null, action: ConversationAction, conversation: ConversationAccessFacts): void {
  const level = conversationAccessLevel(actor, conversation);
  if (!atLeast(level, 'read')) throw new NotFoundError('Conversation not found');
  if (!grants(actor, level, action)) throw new ForbiddenError();
}

/** The actions this actor may take, for clients that adapt their UI (e.g. TipTap's `editable`). */
export function conversationPolicies(actor: Principal | null, conversation: ConversationAccessFacts): Record<ConversationAction, boolean> {
  const level = conversationAccessLevel(actor, conversation);
  const entries = Object.keys(CONVERSATION_ACTIONS).map((action) => [action, grants(actor, level, action as ConversationAction)]);
  return Object.fromEntries(entries) as Record<ConversationAction, boolean>;
}
