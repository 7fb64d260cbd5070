import { describe, expect, it } from '@jest/globals';
import {
  MESSAGE_ROLES,
  authorizeMessageRole,
  authorizeOnMessage,
  canOnMessage,
  canPostRole,
  type ConversationAccessFacts,
  type MessageAccessFacts,
  type MessageAction,
  type MessageRole,
  type Principal,
} from './index.ts';

const OWNER_ID = '00000000-0000-4000-8000-000000000001';
const MEMBER_ID = '00000000-0000-4000-8000-000000000003';
const OTHER_MEMBER_ID = '00000000-0000-4000-8000-000000000004';
const WORKSPACE_ID = '00000000-0000-4000-8000-0000000000a1';
const BOT_ID = '00000000-0000-4000-8000-0000000000d1';
const OTHER_BOT_ID = '00000000-0000-4000-8000-0000000000d2';

const conversation: ConversationAccessFacts = { id: '00000000-0000-4000-8000-0000000000c1', ownerId: OWNER_ID, workspaceId: WORKSPACE_ID };
const asRole = (workspaceRole: 'admin' | 'member' | 'viewer' | null): ConversationAccessFacts => ({ ...conversation, workspaceRole });
const user = (id: string): Principal => ({ type: 'user', id });
const bot = (id: string, workspaceIds = [WORKSPACE_ID]): Principal => ({
  type: 'service',
  id,
  scope: { workspaceIds, conversationIds: [] },
});

const byMember: MessageAccessFacts = { authorId: MEMBER_ID, serviceAccountId: null, role: 'user' };
const byBot: MessageAccessFacts = { authorId: null, serviceAccountId: BOT_ID, role: 'assistant' };
const byNobody: MessageAccessFacts = { authorId: null, serviceAccountId: null, role: 'user' };
/** A code run the member started: its record, which nobody rewrites. */
const runByMember: MessageAccessFacts = { authorId: MEMBER_ID, serviceAccountId: null, role: 'tool' };

/**
 * Who may edit or delete which message: principal × conversation as it sees it × message → the actions
 * allowed. Editing is the author's alone — a person's message its person, a service account's message
 * that service account; deleting is also open to whoever manages or owns the conversation.
 */
const TABLE: Array<{
  name: string;
  principal: Principal;
  conversation: ConversationAccessFacts;
  message: MessageAccessFacts;
  allowed: MessageAction[];
}> = [
  {
    name: 'a member, on their own message',
    principal: user(MEMBER_ID),
    conversation: asRole('member'),
    message: byMember,
    allowed: ['edit', 'delete'],
  },
  {
    name: 'a member, on the output of their own code run',
    principal: user(MEMBER_ID),
    conversation: asRole('member'),
    message: runByMember,
    allowed: ['delete'],
  },
  {
    name: 'an admin, on a member’s code run',
    principal: user(OTHER_MEMBER_ID),
    conversation: asRole('admin'),
    message: runByMember,
    allowed: ['delete'],
  },
  {
    name: 'another member, on a member’s message',
    principal: user(OTHER_MEMBER_ID),
    conversation: asRole('member'),
    message: byMember,
    allowed: [],
  },
  {
    name: 'a member, on a service account’s message',
    principal: user(MEMBER_ID),
    conversation: asRole('member'),
    message: byBot,
    allowed: [],
  },
  {
    name: 'an admin, on a service account’s message',
    principal: user(OTHER_MEMBER_ID),
    conversation: asRole('admin'),
    message: byBot,
    allowed: ['delete'],
  },
  {
    name: 'an admin, on a member’s message',
    principal: user(OTHER_MEMBER_ID),
    conversation: asRole('admin'),
    message: byMember,
    allowed: ['delete'],
  },
  { name: 'a viewer, on their own message', principal: user(MEMBER_ID), conversation: asRole('viewer'), message: byMember, allowed: [] },
  {
    name: 'a removed member, on their own message',
    principal: user(MEMBER_ID),
    conversation: asRole(null),
    message: byMember,
    allowed: [],
  },
  {
    name: 'the owner of a personal conversation, on a service account’s message',
    principal: user(OWNER_ID),
    conversation: { ...conversation, workspaceId: null },
    message: byBot,
    allowed: ['delete'],
  },
  { name: 'a service account, on its own message', principal: bot(BOT_ID), conversation, message: byBot, allowed: ['edit', 'delete'] },
  {
    name: 'another service account, on a service account’s message',
    principal: bot(OTHER_BOT_ID),
    conversation,
    message: byBot,
    allowed: [],
  },
  { name: 'a service account, on a member’s message', principal: bot(BOT_ID), conversation, message: byMember, allowed: [] },
  // The ids are of different tables: a user whose id happened to equal the account's is still not its author.
  {
    name: 'a person whose id is the service account’s',
    principal: user(BOT_ID),
    conversation: asRole('member'),
    message: byBot,
    allowed: [],
  },
  { name: 'a service account whose id is the person’s', principal: bot(MEMBER_ID), conversation, message: byMember, allowed: [] },
  {
    name: 'a service account, on its own message, once out of scope',
    principal: bot(BOT_ID, []),
    conversation,
    message: byBot,
    allowed: [],
  },
  { name: 'a service account, on a message whose poster is gone', principal: bot(BOT_ID), conversation, message: byNobody, allowed: [] },
];

const ACTIONS: MessageAction[] = ['edit', 'delete'];

describe('message access model', () => {
  it.each(TABLE.flatMap((row) => ACTIONS.map((action) => [row.name, action, row.allowed.includes(action), row] as const)))(
    '%s: %s → %s',
    (_name, action, expected, row) => {
      expect(canOnMessage(row.principal, action, row.conversation, row.message)).toBe(expected);
      const attempt = () => authorizeOnMessage(row.principal, action, row.conversation, row.message);
      if (expected) expect(attempt).not.toThrow();
      else expect(attempt).toThrow(expect.objectContaining({ status: expect.any(Number) }));
    },
  );

  it('answers 404 to a service account out of scope, 403 to one in scope on another’s message', () => {
    expect(() => authorizeOnMessage(bot(BOT_ID, []), 'edit', conversation, byBot)).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => authorizeOnMessage(bot(OTHER_BOT_ID), 'edit', conversation, byBot)).toThrow(
      expect.objectContaining({ status: 403, code: 'forbidden' }),
    );
  });
});

/** Which roles each kind of principal posts: people `user`, service accounts `assistant` and `system`. */
const ROLES: Array<[string, Principal | null, MessageRole[]]> = [
  ['a signed-in person', user(MEMBER_ID), ['user']],
  ['a share link’s holder', { type: 'share', shareId: 's1', conversationId: conversation.id, permission: 'edit' }, ['user']],
  ['a service account', bot(BOT_ID), ['assistant', 'system']],
  ['nobody', null, []],
];

describe('message roles', () => {
  it.each(
    ROLES.flatMap(([name, principal, allowed]) => MESSAGE_ROLES.map((role) => [name, role, allowed.includes(role), principal] as const)),
  )('%s posts %s → %s', (_name, role, expected, principal) => {
    expect(canPostRole(principal, role)).toBe(expected);
    const attempt = () => authorizeMessageRole(principal, role);
    if (expected) expect(attempt).not.toThrow();
    else expect(attempt).toThrow(expect.objectContaining({ status: 403, code: 'forbidden' }));
  });

  it('tells anyone that tool messages come only from code runs', () => {
    expect(() => authorizeMessageRole(bot(BOT_ID), 'tool')).toThrow(/only from code runs/);
    expect(() => authorizeMessageRole(user(MEMBER_ID), 'tool')).toThrow(/only from code runs/);
  });

  it('tells a person why an assistant message is refused', () => {
    expect(() => authorizeMessageRole(user(MEMBER_ID), 'assistant')).toThrow(/only from service accounts/);
  });
});
