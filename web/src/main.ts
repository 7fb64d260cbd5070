import './styles.css';
import { ApiError, SIGNED_OUT_EVENT, session } from './api.ts';
import { h } from './dom.ts';
import { navigate, startRouter, type View } from './router.ts';
import './offline/outbox.ts';
import { startServiceWorker } from './pwa/updatePrompt.ts';
import { authView } from './views/auth.ts';
import { conversationsView } from './views/conversations.ts';
import { shell } from './views/layout.ts';
import { acceptInvitationView, workspaceView, workspacesView } from './views/workspaces.ts';

/** Pages for signed-in people: anyone else signs in first and comes back. */
function signedIn(render: (params: string[], query: URLSearchParams) => View | Promise<View>) {
  return async (params: string[], query: URLSearchParams): Promise<View> => {
    if (!session.get()) {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      return { el: h('div') };
    }
    try {
      return await render(params, query);
    } catch (error) {
      return errorPage(error);
    }
  };
}

function errorPage(error: unknown): View {
  const notFound = error instanceof ApiError && (error.status === 404 || error.status === 403);
  const message = notFound
    ? 'This page does not exist, or it is not shared with you.'
    : error instanceof ApiError
      ? error.message
      : 'Something went wrong.';
  return {
    el: shell(
      h(
        'section',
        { class: 'card auth' },
        h('h1', {}, notFound ? 'Not found' : 'Error'),
        h('p', {}, message),
        h('a', { href: '/' }, 'Back to your conversations'),
      ),
    ),
  };
}

// The live conversation pages bring the editor and the collaboration stack (most of the bundle's
// weight); they load on first visit, so signing in and the lists start without them.
const liveConversation = () => import('./views/conversation.ts');
const liveSharedConversation = () => import('./views/sharedConversation.ts');

const INVITE_INTRO = 'You were invited to a workspace. Sign in, or create an account, with the address the invitation went to.';

window.addEventListener(SIGNED_OUT_EVENT, () =>
  navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true }),
);

startServiceWorker();

startRouter(document.getElementById('app')!, [
  { pattern: /^\/login\/?$/, render: (_, query) => authView('login', query) },
  { pattern: /^\/register\/?$/, render: (_, query) => authView('register', query) },
  { pattern: /^\/share\/([\w-]+)\/?$/, render: async ([id]) => (await liveSharedConversation()).sharedConversationView(id!) },
  {
    pattern: /^\/invite\/?$/,
    render: (_, query) => {
      const token = query.get('token') ?? '';
      if (session.get()) return acceptInvitationView(token);
      return authView('register', new URLSearchParams({ next: `/invite?token=${encodeURIComponent(token)}` }), INVITE_INTRO);
    },
  },
  { pattern: /^\/$/, render: signedIn((_, query) => conversationsView(query)) },
  { pattern: /^\/c\/([\w-]+)\/?$/, render: signedIn(async ([id]) => (await liveConversation()).conversationView(id!)) },
  { pattern: /^\/workspaces\/?$/, render: signedIn(() => workspacesView()) },
  { pattern: /^\/workspaces\/([\w-]+)\/?$/, render: signedIn(([id]) => workspaceView(id!)) },
  { pattern: /.*/, render: () => errorPage(new ApiError(404, 'not_found', 'Not found')) },
]);
