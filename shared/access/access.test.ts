import { describe, expect, it } from '@jest/globals';
import { NotFoundError } from '../errors.ts';
import {
  CONVERSATION_ACTIONS,
  authorize,
  can,
  conversationPolicies,
  type ConversationAccessFacts,
  type ConversationAction,
  type Principal as AccessPrincipal,
  type ShareAccessFacts,
  type SharePermission,
} from './index.ts';

const OWNER_ID = '00000000-0000-4000-8000-000000000001';
const OUTSIDER_ID = '00000000-0000-4000-8000-000000000002';

const conversation: ConversationAccessFacts = {
  id: '00000000-0000-4000-8000-0000000000c1',
  ownerId: OWNER_ID,
  workspaceId: null,
};

const inWorkspace: ConversationAccessFacts = { ...conversation, workspaceId: '00000000-0000-4000-8000-0000000000a1' };
const MEMBER_ID = '00000000-0000-4000-8000-000000000003';
const member = { type: 'user', id: MEMBER_ID } as const;
const asRole = (workspaceRole: 'admin' | 'member' | 'viewer' | null) => ({ ...inWorkspace, workspaceRole });

const HOUR = 3_600_000;
/** A share principal and the conversation as the loader would present it with that share. */
function shared(permission: SharePermission, changes: Partial<ShareAccessFacts> = {}) {
  const share: ShareAccessFacts = {
    id: 'share-1',
    conversationId: conversation.id,
    permission,
    revokedAt: null,
    expiresAt: new Date(Date.now() + HOUR),
    ...changes,
  };
  const actor: AccessPrincipal = { type: 'share', shareId: 'share-1', conversationId: conversation.id, permission };
  return { actor, conversation: { ...conversation, share } };
}
const READ: ConversationAction[] = ['read'];
const COMMENT: ConversationAction[] = ['read', 'comment'];
const WRITE: ConversationAction[] = ['read', 'comment', 'update', 'postMessage', 'editMessage', 'deleteMessage'];

const ALL_ACTIONS = Object.keys(CONVERSATION_ACTIONS) as ConversationAction[];
/** What a service account may do in its scope: read and work with messages, never rename, delete or share. */
const SERVICE: ConversationAction[] = ['read', 'postMessage', 'editMessage', 'deleteMessage'];
const OTHER_WORKSPACE_ID = '00000000-0000-4000-8000-0000000000a2';
const SERVICE_ACCOUNT_ID = '00000000-0000-4000-8000-0000000000d1';
/** A service account (an API key) scoped to these workspaces and conversations. */
const service = (scope: { workspaceIds?: string[]; conversationIds?: string[] }): AccessPrincipal => ({
  type: 'service',
  id: SERVICE_ACCOUNT_ID,
  scope: { workspaceIds: scope.workspaceIds ?? [], conversationIds: scope.conversationIds ?? [] },
});

/**
 * Who may do what to a conversation: one principal per row, with the conversation as that principal
 * sees it and the actions it may take. Capabilities that add rights (workspace roles, share links)
 * add rows here — e.g. a workspace viewer with `conversation: { ...conversation, workspaceId }` and
 * `allowed: ['read']` — and every action of every row is checked in both directions.
 */
interface Principal {
  name: string;
  actor: AccessPrincipal | null;
  conversation: ConversationAccessFacts;
  allowed: readonly ConversationAction[];
}

const PRINCIPALS: Principal[] = [
  { name: 'the owner', actor: { type: 'user', id: OWNER_ID }, conversation, allowed: ALL_ACTIONS },
  { name: 'an outsider', actor: { type: 'user', id: OUTSIDER_ID }, conversation, allowed: [] },
  { name: 'an anonymous caller', actor: null, conversation, allowed: [] },
  { name: 'a workspace admin', actor: member, conversation: asRole('admin'), allowed: ALL_ACTIONS },
  { name: 'a workspace member', actor: member, conversation: asRole('member'), allowed: WRITE },
  { name: 'a workspace viewer', actor: member, conversation: asRole('viewer'), allowed: READ },
  { name: 'a removed member', actor: member, conversation: asRole(null), allowed: [] },
  // In a workspace the role decides, even for the member who created the conversation.
  { name: 'the creator, removed from the workspace', actor: { type: 'user', id: OWNER_ID }, conversation: asRole(null), allowed: [] },
  { name: 'an outsider to a workspace conversation', actor: { type: 'user', id: OUTSIDER_ID }, conversation: inWorkspace, allowed: [] },
  { name: 'a read share', ...shared('read'), allowed: READ },
  { name: 'a comment share', ...shared('comment'), allowed: COMMENT },
  { name: 'an edit share', ...shared('edit'), allowed: WRITE },
  { name: 'a share with no expiry', ...shared('read', { expiresAt: null }), allowed: READ },
  { name: 'an expired share', ...shared('edit', { expiresAt: new Date(Date.now() - 1000) }), allowed: [] },
  { name: 'a revoked share', ...shared('edit', { revokedAt: new Date() }), allowed: [] },
  { name: 'a share of another conversation', ...shared('edit', { conversationId: OUTSIDER_ID }), allowed: [] },
  {
    name: 'a service account scoped to the conversation',
    actor: service({ conversationIds: [conversation.id] }),
    conversation,
    allowed: SERVICE,
  },
  {
    name: 'a service account scoped to the conversation’s workspace',
    actor: service({ workspaceIds: [inWorkspace.workspaceId!] }),
    conversation: inWorkspace,
    allowed: SERVICE,
  },
  // Scope alone decides: no workspace role is needed, and none is taken into account.
  {
    name: 'a service account in scope, facts carrying a stray admin role',
    actor: service({ workspaceIds: [inWorkspace.workspaceId!] }),
    conversation: asRole('admin'),
    allowed: SERVICE,
  },
  {
    name: 'a service account scoped to a workspace, on a personal conversation',
    actor: service({ workspaceIds: [inWorkspace.workspaceId!] }),
    conversation,
    allowed: [],
  },
  {
    name: 'a service account scoped to another workspace',
    actor: service({ workspaceIds: [OTHER_WORKSPACE_ID] }),
    conversation: inWorkspace,
    allowed: [],
  },
  {
    name: 'a service account scoped to another conversation',
    actor: service({ conversationIds: [OUTSIDER_ID] }),
    conversation: inWorkspace,
    allowed: [],
  },
  { name: 'a service account with an empty scope', actor: service({}), conversation, allowed: [] },
  {
    name: 'a share token whose share was not loaded',
    actor: { type: 'share', shareId: 'share-1', conversationId: conversation.id, permission: 'edit' },
    conversation,
    allowed: [],
  },
];

/** The actions the table must cover; a new action fails the coverage test until its rows say who may take it. */
const EXPECTED_ACTIONS: ConversationAction[] = [
  'read',
  'comment',
  'update',
  'postMessage',
  'editMessage',
  'deleteMessage',
  'delete',
  'share',
];

const CASES = PRINCIPALS.flatMap((principal) =>
  ALL_ACTIONS.map((action) => [principal.name, action, principal.allowed.includes(action), principal] as const),
);

describe('conversation access model', () => {
  it('knows exactly the actions this table covers', () => {
    expect([...ALL_ACTIONS].sort()).toEqual([...EXPECTED_ACTIONS].sort());
  });

  it.each(CASES)('%s: can %s → %s', (_name, action, expected, principal) => {
    expect(can(principal.actor, action, principal.conversation)).toBe(expected);
  });

  it.each(CASES)('%s: authorize %s passes only when allowed (%s)', (_name, action, expected, principal) => {
    const attempt = () => authorize(principal.actor, action, principal.conversation);
    if (expected) {
      expect(attempt).not.toThrow();
    } else if (!principal.allowed.includes('read')) {
      // Someone who may not read must not learn that the conversation exists.
      expect(attempt).toThrow(NotFoundError);
    } else {
      expect(attempt).toThrow(expect.objectContaining({ status: 403, code: 'forbidden' }));
    }
  });

  it.each(PRINCIPALS.map((principal) => [principal.name, principal] as const))(
    'policies for %s list every action with the same answer as can()',
    (_name, principal) => {
      const policies = conversationPolicies(principal.actor, principal.conversation);
      const expected = Object.fromEntries(ALL_ACTIONS.map((action) => [action, principal.allowed.includes(action)]));
      expect(policies).toEqual(expected);
    },
  );

  it('gives the owner every right and an outsider none', () => {
    const owner = conversationPolicies({ type: 'user', id: OWNER_ID }, conversation);
    const outsider = conversationPolicies({ type: 'user', id: OUTSIDER_ID }, conversation);
    expect(Object.values(owner).every(Boolean)).toBe(true);
    expect(Object.values(outsider).some(Boolean)).toBe(false);
  });

  it('answers 404, not 403, when an outsider tries to read', () => {
    expect(() => authorize({ type: 'user', id: OUTSIDER_ID }, 'read', conversation)).toThrow(
      expect.objectContaining({ status: 404, code: 'not_found' }),
    );
  });
});
