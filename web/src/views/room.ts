import type { Editor } from '@tiptap/core';
import * as Y from 'yjs';
import { api, ApiError, type AttachmentSummary, type Message, type SharedMessage } from '../api.ts';
import { Room, type AwarenessUser, type ConnectionState, type StateDetail } from '../collab.ts';
import { formatTime, h, replaceChildren } from '../dom.ts';
import { createDraftEditor } from '../editor.ts';
import { AttachmentUrls } from '../files.ts';
import type { View } from '../router.ts';
import { draftAttachments } from './draftAttachments.ts';
import { messageAttachments } from './messageAttachments.ts';
import { roomTitle } from './roomTitle.ts';

export interface RoomViewOptions {
  conversationId: string;
  /** The title from the REST API, until the live document's arrives. */
  title: string;
  /** Renames the conversation and resolves to the stored title; given to people who may (policies.update). */
  rename?: (title: string) => Promise<string>;
  user: AwarenessUser;
  /** The bearer for the collab server and for downloading attachments: an access token or a share token. */
  token: () => Promise<string>;
  renewToken?: () => Promise<boolean>;
  /** False for links that only read or comment: the draft stays read-only whatever the server says. */
  mayEdit: boolean;
  /** Signed-in members who may post: the draft becomes a message through the REST API, with files attached. */
  mayPost: boolean;
  /** Shown until the live document has synced: a member's messages, or a share link's (which name no author). */
  initialMessages: Array<SharedMessage & Partial<Pick<Message, 'authorId'>>>;
  /** Names of message authors known from elsewhere (workspace members, yourself). */
  knownNames: Map<string, string>;
  /** Extra panels beside the conversation (share links). */
  aside?: HTMLElement;
  /** A line above the title (breadcrumbs, link permission). */
  kicker?: HTMLElement;
}

/** A message as the list shows it, from the REST API or the document alike. */
type ShownMessage = Pick<Message, 'id' | 'role' | 'content' | 'createdAt' | 'editedAt'> & {
  author: string | null;
  attachments: AttachmentSummary[];
};

const STATE_LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  revoked: 'Access revoked',
  denied: 'No access',
};

/**
 * A conversation, live: its messages (and their files) as the document mirrors them, the shared draft
 * with everyone's carets and the files to post with it, who is here and who is typing, and the
 * connection's state.
 */
export function roomView(options: RoomViewOptions): View {
  const { user, knownNames } = options;
  knownNames.set(user.id, user.name);
  const status = h('span', { class: 'status', 'data-state': 'connecting', role: 'status' }, STATE_LABELS.connecting);
  const notice = h('div', { class: 'notice', hidden: true, role: 'alert' });
  const presenceList = h('ul', { class: 'presence', 'aria-label': 'Who is here' });
  const typingLine = h('p', { class: 'typing', 'aria-live': 'polite' });
  const messageList = h('ol', { class: 'messages', 'aria-label': 'Messages' });
  const editorHost = h('div', { class: 'editor-host' });
  const postButton = h('button', { type: 'button', class: 'primary', disabled: true }, 'Post draft');
  const postError = h('p', { class: 'error', hidden: true });
  const attachmentUrls = new AttachmentUrls(options.token);
  const composer = h(
    'section',
    { class: 'composer card' },
    h('div', { class: 'composer-head' }, h('h2', {}, 'Shared draft'), typingLine),
    editorHost,
  );
  // The files are this person's own (each upload is theirs until posted); only the draft's text is shared.
  const attachments = options.mayPost
    ? draftAttachments({ conversationId: options.conversationId, dropZone: composer, onChange: updatePostButton })
    : undefined;
  if (attachments) composer.append(attachments.el, h('div', { class: 'composer-actions' }, attachments.picker, postError, postButton));
  else
    composer.append(
      h(
        'p',
        { class: 'hint' },
        options.mayEdit ? 'Edits reach everyone at once.' : 'You can read along; this link does not allow editing.',
      ),
    );

  // Created last, once the room exists; until then the room's state changes find no editor.
  let editor: Editor | undefined = undefined;
  let editsAway = 0;
  let sentNoticeUntil = 0;
  const room = new Room({
    conversationId: options.conversationId,
    token: options.token,
    renewToken: options.renewToken,
    user,
    onState: (state, detail) => showState(state, detail),
  });

  function showState(state: ConnectionState, detail: StateDetail): void {
    status.dataset.state = state;
    let label = STATE_LABELS[state];
    if ((state === 'offline' || state === 'reconnecting') && detail.unsent > 0)
      label += ' · your changes are kept and sent when back online';
    // Say so, for a few seconds, once edits made offline have reached the server.
    if (state === 'connected' && detail.unsent === 0 && editsAway > 0) sentNoticeUntil = Date.now() + 4_000;
    if (state !== 'connected') editsAway = detail.unsent;
    else if (detail.unsent === 0) editsAway = 0;
    if (state === 'connected' && Date.now() < sentNoticeUntil) label += ' · offline edits sent';
    status.textContent = label;
    if (state === 'revoked' || state === 'denied') {
      notice.hidden = false;
      notice.textContent =
        state === 'revoked'
          ? 'Your access to this conversation has ended: the link was revoked or your access was removed.'
          : refusalText(detail.reason);
      presenceList.replaceChildren();
      typingLine.textContent = '';
    }
    const editable = options.mayEdit && !detail.readOnly && state !== 'revoked' && state !== 'denied';
    if (editor && editor.isEditable !== editable) editor.setEditable(editable);
    editorHost.classList.toggle('read-only', !editable);
    updatePostButton();
  }

  function updatePostButton(): void {
    // Files still uploading would miss the message: posting waits for them (a failed one is left out).
    postButton.disabled =
      !editor?.isEditable || !editor.getText().trim() || room.state !== 'connected' || attachments?.isUploading() === true;
  }

  function renderPresence(): void {
    const people = room.presence();
    for (const person of people) knownNames.set(person.user.id, person.user.name);
    replaceChildren(
      presenceList,
      ...people.map((person) =>
        h(
          'li',
          { class: 'person', title: person.user.name },
          h('span', { class: 'dot', style: `background:${person.user.color}` }),
          person.isSelf ? `${person.user.name} (you)` : person.user.name,
        ),
      ),
    );
    const typing = people.filter((person) => person.typing && !person.isSelf).map((person) => person.user.name);
    typingLine.textContent = typing.length === 0 ? '' : `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`;
  }

  function renderMessages(messages: ShownMessage[]): void {
    replaceChildren(
      messageList,
      ...(messages.length === 0 ? [h('li', { class: 'empty' }, 'No messages yet. Write the first one together below.')] : []),
      ...messages.map((message) =>
        h(
          'li',
          { class: `message ${message.role}`, 'data-id': message.id },
          h(
            'div',
            { class: 'meta' },
            h('strong', {}, authorName(message.author, message.role)),
            h('time', { dateTime: message.createdAt }, formatTime(message.createdAt)),
            ...(message.editedAt ? [h('span', { class: 'edited', title: `Edited ${formatTime(message.editedAt)}` }, 'edited')] : []),
          ),
          h('div', { class: 'content' }, message.content),
          message.attachments.length > 0 && messageAttachments(message.attachments, attachmentUrls),
        ),
      ),
    );
    // Blobs of files no longer on the page (a deleted message) go now; the others are reused.
    attachmentUrls.keepOnly(new Set(messages.flatMap((message) => message.attachments.map((attachment) => attachment.id))));
    messageList.scrollTop = messageList.scrollHeight;
  }

  function authorName(author: string | null, role: Message['role']): string {
    if (role === 'assistant') return 'Assistant';
    if (role === 'system') return 'System';
    return (author && knownNames.get(author)) ?? 'Someone';
  }

  // The server owns `messages`; still, anything that is not a message map, or repeats an id, is not shown.
  const messagesFromDocument = () => {
    const entries = new Map<string, Y.Map<unknown>>();
    for (const entry of room.messages.toArray() as unknown[]) {
      const id: unknown = entry instanceof Y.Map ? entry.get('id') : undefined;
      if (typeof id === 'string' && !entries.has(id)) entries.set(id, entry as Y.Map<unknown>);
    }
    return [...entries].map(([id, entry]) => ({
      id,
      role: entry.get('role') as Message['role'],
      author: (entry.get('author') as string | null | undefined) ?? null,
      content: typeof entry.get('content') === 'string' ? (entry.get('content') as string) : '',
      createdAt: String(entry.get('createdAt')),
      editedAt: typeof entry.get('editedAt') === 'string' ? (entry.get('editedAt') as string) : null,
      attachments: attachmentsOf(entry.get('attachments')),
    }));
  };

  async function post(): Promise<void> {
    if (!editor) return;
    const content = editor.getText({ blockSeparator: '\n' }).trim();
    if (!content) return;
    postButton.disabled = true;
    postError.hidden = true;
    const attachmentIds = attachments?.readyIds() ?? [];
    try {
      const body = { role: 'user' as const, content, ...(attachmentIds.length > 0 ? { attachmentIds } : {}) };
      await api('POST', '/api/conversations/{id}/messages', { params: { id: options.conversationId }, body });
      // The message comes back through the document's `messages`; the draft starts over for everyone.
      editor.commands.clearContent(true);
      attachments?.clear();
    } catch (error) {
      postError.hidden = false;
      postError.textContent = error instanceof ApiError ? error.message : 'Posting failed.';
    } finally {
      updatePostButton();
    }
  }

  renderMessages(
    options.initialMessages.map((message) => ({ ...message, author: message.authorId ?? null, attachments: message.attachments ?? [] })),
  );
  room.provider.on('synced', () => renderMessages(messagesFromDocument()));
  room.messages.observeDeep(() => renderMessages(messagesFromDocument()));
  room.provider.on('awarenessChange', renderPresence);
  postButton.addEventListener('click', () => void post());

  const title = roomTitle({ title: options.title, liveTitle: room.title, rename: options.rename });
  const el = h(
    'div',
    { class: 'room' },
    h('header', { class: 'room-head' }, options.kicker, h('div', { class: 'title-row' }, title.el, status), presenceList, notice),
    h(
      'div',
      { class: options.aside ? 'room-body with-aside' : 'room-body' },
      h('div', { class: 'room-main' }, h('section', { class: 'card' }, messageList), composer),
      options.aside,
    ),
  );

  editor = createDraftEditor(editorHost, room, user);
  editor.on('update', updatePostButton);
  renderPresence();

  return {
    el,
    destroy() {
      title.destroy();
      editor?.destroy();
      room.destroy();
      attachmentUrls.revokeAll();
    },
  };
}

/** A document entry's `attachments`: a JSON array the server writes; anything malformed in it is skipped. */
function attachmentsOf(value: unknown): AttachmentSummary[] {
  if (!Array.isArray(value)) return [];
  return (value as unknown[]).filter((item): item is AttachmentSummary => {
    if (typeof item !== 'object' || item === null) return false;
    const fields = item as Partial<Record<keyof AttachmentSummary, unknown>>;
    return (
      typeof fields.id === 'string' &&
      typeof fields.name === 'string' &&
      typeof fields.contentType === 'string' &&
      typeof fields.size === 'number'
    );
  });
}

function refusalText(reason: string | undefined): string {
  switch (reason) {
    case 'not_found':
      return 'This conversation does not exist or is not shared with you.';
    case 'token_expired':
      return 'Your session has expired. Sign in again.';
    case 'session_revoked':
      return 'You were signed out everywhere. Sign in again.';
    default:
      return `The collaboration server refused the connection (${reason ?? 'unknown reason'}).`;
  }
}
