import { api, freshAccessToken, refreshSession, session } from '../api.ts';
import { colorFor } from '../collab.ts';
import { h } from '../dom.ts';
import type { View } from '../router.ts';
import { shell } from './layout.ts';
import { roomView } from './room.ts';
import { sharePanel } from './sharePanel.ts';

/** A conversation for a signed-in member: live messages, the shared draft, and share links for managers. */
export async function conversationView(conversationId: string): Promise<View> {
  const user = session.get()!.user;
  const [{ data: conversation }, messages] = await Promise.all([
    api('GET', '/api/conversations/{id}', { params: { id: conversationId } }),
    api('GET', '/api/conversations/{id}/messages', { params: { id: conversationId }, query: { limit: 100 } }),
  ]);
  const knownNames = new Map<string, string>();
  if (conversation.workspaceId) {
    const members = await api('GET', '/api/workspace/{id}/members', {
      params: { id: conversation.workspaceId },
      query: { limit: 100 },
    }).catch(() => null);
    for (const member of members?.data ?? []) knownNames.set(member.userId, member.name);
  }
  const shares = conversation.policies.share ? sharePanel(conversation.id) : undefined;
  const room = roomView({
    // The server's spelling of the id (lower case), whatever case the address bar had: it names the document.
    conversationId: conversation.id,
    title: conversation.title,
    rename: conversation.policies.update
      ? async (title) => (await api('PATCH', '/api/conversations/{id}', { params: { id: conversation.id }, body: { title } })).data.title
      : undefined,
    user: { id: user.id, name: user.name, color: colorFor(user.id) },
    token: freshAccessToken,
    renewToken: refreshSession,
    mayEdit: conversation.policies.update === true,
    mayPost: conversation.policies.postMessage === true,
    workspaceId: conversation.workspaceId,
    initialMessages: messages.data,
    mayListen: true,
    fetchMessageAttachments: async (messageId) =>
      (await api('GET', '/api/conversations/{id}/messages/{messageId}', { params: { id: conversation.id, messageId } })).data.attachments,
    knownNames,
    kicker: h('a', { href: conversation.workspaceId ? `/?workspace=${conversation.workspaceId}` : '/', class: 'back' }, '← Conversations'),
    aside: shares?.el,
  });
  return {
    el: shell(room.el),
    destroy() {
      shares?.destroy?.();
      room.destroy?.();
    },
  };
}
