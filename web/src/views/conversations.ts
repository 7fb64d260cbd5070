import { api, ApiError } from '../api.ts';
import { formatTime, formValues, h, replaceChildren } from '../dom.ts';
import { navigate, type View } from '../router.ts';
import { errorLine, shell, showError } from './layout.ts';

/** Your conversations, personal or in a workspace (`?workspace=<id>`), and a form to start one. */
export async function conversationsView(query: URLSearchParams): Promise<View> {
  const workspaceId = query.get('workspace');
  const [workspaces, conversations] = await Promise.all([
    api('GET', '/api/workspace', { query: { limit: 100 } }),
    api('GET', '/api/conversations', { query: { limit: 100, workspaceId: workspaceId ?? undefined } }),
  ]);
  const workspace = workspaces.data.find((candidate) => candidate.id === workspaceId);
  const mayCreate = !workspace || workspace.policies.createConversation;
  const error = errorLine();

  const create = async (event: SubmitEvent) => {
    event.preventDefault();
    const { title } = formValues(event.currentTarget as HTMLFormElement);
    try {
      const created = await api('POST', '/api/conversations', { body: { title: title ?? '', ...(workspaceId ? { workspaceId } : {}) } });
      navigate(`/c/${created.data.id}`);
    } catch (failure) {
      showError(error, failure instanceof ApiError ? failure.message : 'Could not create the conversation.');
    }
  };

  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Spaces' },
    h('a', { href: '/', class: workspaceId ? '' : 'active' }, 'Personal'),
    ...workspaces.data.map((space) =>
      h('a', { href: `/?workspace=${space.id}`, class: space.id === workspaceId ? 'active' : '' }, space.name),
    ),
  );
  const list = h('ul', { class: 'list' });
  replaceChildren(
    list,
    ...(conversations.data.length === 0 ? [h('li', { class: 'empty' }, 'No conversations yet.')] : []),
    ...conversations.data.map((conversation) =>
      h(
        'li',
        {},
        h(
          'a',
          { href: `/c/${conversation.id}`, class: 'row' },
          h('span', { class: 'row-title' }, conversation.title),
          h('time', { class: 'muted' }, formatTime(conversation.updatedAt)),
        ),
      ),
    ),
  );

  const el = shell(
    h(
      'div',
      { class: 'page-head' },
      h('h1', {}, workspace ? workspace.name : 'Your conversations'),
      workspace ? h('a', { href: `/workspaces/${workspace.id}`, class: 'button' }, 'Members') : null,
    ),
    tabs,
    mayCreate
      ? h(
          'form',
          { class: 'inline-form card', onsubmit: create },
          h(
            'label',
            { class: 'grow' },
            'New conversation',
            h('input', { name: 'title', required: true, maxLength: 200, placeholder: 'Title' }),
          ),
          h('button', { type: 'submit', class: 'primary' }, 'Create'),
          error,
        )
      : h('p', { class: 'hint' }, 'Viewers can read this workspace’s conversations but not start new ones.'),
    h('section', { class: 'card' }, list),
  );
  return { el };
}
