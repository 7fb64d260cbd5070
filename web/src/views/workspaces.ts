import { api, ApiError, session, type Member, type Workspace, type WorkspaceRole } from '../api.ts';
import { outbox, sendKept } from '../offline/outbox.ts';
import { formValues, h, replaceChildren } from '../dom.ts';
import { navigate, type View } from '../router.ts';
import { errorLine, shell, showError } from './layout.ts';

const ROLES: WorkspaceRole[] = ['member', 'viewer', 'admin'];

/** The workspaces you belong to, and a form to create one. */
export async function workspacesView(): Promise<View> {
  const workspaces = await api('GET', '/api/workspace', { query: { limit: 100 } });
  const error = errorLine();
  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    try {
      const { name = '' } = formValues(event.currentTarget as HTMLFormElement);
      const { data } = await api('POST', '/api/workspace', { body: { name } });
      navigate(`/workspaces/${data.id}`);
    } catch (failure) {
      showError(error, failure instanceof ApiError ? failure.message : 'Could not create the workspace.');
    }
  };
  const el = shell(
    h('div', { class: 'page-head' }, h('h1', {}, 'Workspaces')),
    h(
      'form',
      { class: 'inline-form card', onsubmit: create },
      h(
        'label',
        { class: 'grow' },
        'New workspace',
        h('input', { name: 'name', required: true, maxLength: 100, placeholder: 'Team name' }),
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Create'),
      error,
    ),
    h(
      'section',
      { class: 'card' },
      h(
        'ul',
        { class: 'list' },
        ...(workspaces.data.length === 0 ? [h('li', { class: 'empty' }, 'You are not in any workspace yet.')] : []),
        ...workspaces.data.map((space) =>
          h(
            'li',
            {},
            h(
              'a',
              { href: `/workspaces/${space.id}`, class: 'row' },
              h('span', { class: 'row-title' }, space.name),
              h('span', { class: `role ${space.role}` }, space.role),
            ),
          ),
        ),
      ),
    ),
  );
  return { el };
}

/** One workspace: its members and their roles, invitations by email, and the way to its conversations. */
export async function workspaceView(workspaceId: string): Promise<View> {
  const { data: workspace } = await api('GET', '/api/workspace/{id}', { params: { id: workspaceId } });
  const me = session.get()!.user.id;
  const manage = workspace.policies.manageMembers === true;
  const memberList = h('ul', { class: 'list members' });
  const invitationList = h('ul', { class: 'list invitations' });
  const error = errorLine();

  const attempt = async (run: () => Promise<unknown>) => {
    showError(error, null);
    try {
      await run();
    } catch (failure) {
      showError(error, failure instanceof ApiError ? failure.message : 'That did not work.');
    }
    await refresh();
  };

  async function refresh(): Promise<void> {
    const [members, invitations] = await Promise.all([
      api('GET', '/api/workspace/{id}/members', { params: { id: workspaceId }, query: { limit: 100 } }),
      workspace.policies.invite
        ? api('GET', '/api/workspace/{id}/invitations', { params: { id: workspaceId }, query: { limit: 100 } })
        : null,
    ]);
    replaceChildren(memberList, ...members.data.map(memberRow));
    replaceChildren(
      invitationList,
      ...(invitations?.data ?? []).map((invitation) =>
        h(
          'li',
          { class: 'row' },
          h('span', { class: 'row-title' }, invitation.email),
          h('span', { class: 'muted' }, `${invitation.role} · ${invitation.status}`),
          h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              onclick: () =>
                void attempt(() =>
                  api('DELETE', '/api/workspace/{id}/invitations/{invitationId}', {
                    params: { id: workspaceId, invitationId: invitation.id },
                  }),
                ),
            },
            'Revoke',
          ),
        ),
      ),
    );
  }

  function memberRow(member: Member): HTMLElement {
    const role =
      manage && !member.isOwner
        ? h(
            'select',
            {
              'aria-label': `Role of ${member.name}`,
              onchange: (e: Event) =>
                void attempt(() =>
                  api('PATCH', '/api/workspace/{id}/members/{userId}', {
                    params: { id: workspaceId, userId: member.userId },
                    body: { role: (e.target as HTMLSelectElement).value as WorkspaceRole },
                  }),
                ),
            },
            ...ROLES.map((r) => h('option', { value: r, selected: r === member.role }, r)),
          )
        : h('span', { class: `role ${member.role}` }, member.isOwner ? 'owner' : member.role);
    const remove =
      (manage && !member.isOwner) || (member.userId === me && !member.isOwner)
        ? h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              onclick: () =>
                void attempt(() =>
                  api('DELETE', '/api/workspace/{id}/members/{userId}', { params: { id: workspaceId, userId: member.userId } }),
                ),
            },
            member.userId === me ? 'Leave' : 'Remove',
          )
        : null;
    return h(
      'li',
      { class: 'row member' },
      h('span', { class: 'row-title' }, member.name, h('small', { class: 'muted' }, ` ${member.email}`)),
      role,
      remove,
    );
  }

  const invite = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    await attempt(async () => {
      const { email = '', role } = formValues(form);
      await api('POST', '/api/workspace/{id}/invitations', { params: { id: workspaceId }, body: { email, role: role as WorkspaceRole } });
      form.reset();
    });
  };

  await refresh();
  const el = shell(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, workspace.name),
      h('span', { class: `role ${workspace.role}` }, `you: ${workspace.role}`),
      h('a', { href: `/?workspace=${workspace.id}`, class: 'button' }, 'Conversations'),
    ),
    error,
    h('section', { class: 'card' }, h('h2', {}, 'Members'), memberList),
    workspace.policies.invite
      ? h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Invite by email'),
          h(
            'form',
            { class: 'inline-form', onsubmit: invite },
            h('label', { class: 'grow' }, 'Email', h('input', { name: 'email', type: 'email', required: true })),
            h(
              'label',
              {},
              'Role',
              h('select', { name: 'role' }, ...ROLES.map((r) => h('option', { value: r, defaultSelected: r === 'member' }, r))),
            ),
            h('button', { type: 'submit', class: 'primary' }, 'Send invitation'),
          ),
          h('h3', {}, 'Open invitations'),
          invitationList,
        )
      : null,
  );
  return { el };
}

/**
 * The emailed invitation link: accept it as the signed-in person, then open the workspace. Accepting
 * goes through the outbox, so offline it is done once the network returns (the page says so).
 */
export async function acceptInvitationView(token: string): Promise<View> {
  const action = {
    kind: 'acceptInvitation' as const,
    path: '/api/workspace/invitations/accept',
    body: { token },
    summary: 'Joining a workspace',
  };
  const kept = await sendKept(action);
  const line = h('p', { class: 'hint', role: 'status' }, 'Joining the workspace…');
  const el = shell(
    h('section', { class: 'card auth' }, h('h1', {}, 'Invitation'), line, h('a', { href: '/workspaces' }, 'Your workspaces')),
  );
  if (!navigator.onLine) line.textContent = 'You are offline: you will join the workspace as soon as you are back online.';
  let isLeft = false;
  void kept.settled.then((settled) => {
    if (isLeft) return;
    if (settled.kind === 'done') {
      // Joined, though the answer naming the workspace may have been lost to a server failover.
      const workspace = settled.data as Workspace | undefined;
      return navigate(workspace ? `/workspaces/${workspace.id}` : '/workspaces', { replace: true });
    }
    // This page is where the refusal is reported: nothing is left waiting in the outbox.
    void outbox()?.discard(kept.key);
    line.className = 'error';
    line.setAttribute('role', 'alert');
    line.textContent = invitationRefusal(settled.failure.code);
  });
  return { el, destroy: () => (isLeft = true) };
}

function invitationRefusal(code: string): string {
  if (code === 'email_mismatch') return 'This invitation was sent to another email address. Sign in with that address to accept it.';
  if (code === 'already_member') return 'You are already a member of this workspace.';
  return 'This invitation is no longer valid: it may have been used, revoked or have expired.';
}
