import { describe, expect, it } from '@jest/globals';
import { canInWorkspace, type WorkspaceAction, type WorkspaceRole } from './workspace.ts';

const OWNER = '00000000-0000-4000-8000-000000000001';
const USER = '00000000-0000-4000-8000-000000000002';
const ACTIONS: WorkspaceAction[] = ['read', 'createConversation', 'update', 'manageMembers', 'invite', 'delete', 'transferOwnership'];

/** Role → the workspace actions it allows. The owner is an admin who may also delete and transfer. */
const TABLE: Array<[string, string, WorkspaceRole | null, WorkspaceAction[]]> = [
  ['the owner', OWNER, 'admin', ACTIONS],
  ['an admin', USER, 'admin', ['read', 'createConversation', 'update', 'manageMembers', 'invite']],
  ['a member', USER, 'member', ['read', 'createConversation']],
  ['a viewer', USER, 'viewer', ['read']],
  ['a non-member', USER, null, []],
  ['the owner after losing membership', OWNER, null, []],
];

describe('workspace access model', () => {
  it.each(
    TABLE.flatMap(([name, id, role, allowed]) => ACTIONS.map((action) => [name, action, allowed.includes(action), id, role] as const)),
  )('%s: %s → %s', (_name, action, expected, id, role) => {
    expect(canInWorkspace({ type: 'user', id }, action, { id: 'w1', ownerId: OWNER, role })).toBe(expected);
  });

  it('gives an anonymous caller nothing', () => {
    expect(ACTIONS.some((action) => canInWorkspace(null, action, { id: 'w1', ownerId: OWNER, role: 'admin' }))).toBe(false);
  });
});
