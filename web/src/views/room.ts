import type { Editor } from '@tiptap/core';
import { ApiError, session, type CodeLanguage, type Message, type SharedMessage } from '../api.ts';
import { routeUrl } from '../apiRoutes.ts';
import { Room, type AwarenessUser, type ConnectionState, type StateDetail } from '../collab.ts';
import { append, h, replaceChildren } from '../dom.ts';
import { createDraftEditor, draftText } from '../editor.ts';
import { AttachmentUrls } from '../files.ts';
import { AnalysisLookup, type FetchMessageAttachments } from '../media/analysisLookup.ts';
import { outbox, sendKept } from '../offline/outbox.ts';
import { pendingMessage } from '../offline/pendingMessage.ts';
import { unsentPanel } from '../offline/unsentPanel.ts';
import type { View } from '../router.ts';
import { runCode } from '../runCode.ts';
import { draftAttachments } from './draftAttachments.ts';
import { imageComposer } from './imageComposer.ts';
import { MessageRunControls } from './messageContent.ts';
import { messageList, messagesFromDocument, type ShownMessage } from './messageList.ts';
import { MessageSpeakers } from './messageSpeakers.ts';
import { micButton } from './micButton.ts';
import { roomTitle } from './roomTitle.ts';
import { toolMenu } from './toolMenu.ts';

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
  /** Signed-in members who may post: the draft becomes a message through the REST API, with files attached, and code blocks run. */
  mayPost: boolean;
  /** Shown until the live document has synced: a member's messages, or a share link's (which name no author). */
  initialMessages: Array<SharedMessage & Partial<Pick<Message, 'authorId'>>>;
  /** Names of message authors known from elsewhere (workspace members, yourself). */
  knownNames: Map<string, string>;
  /** Signed-in people: each message has a button that reads it aloud (the server speaks it). */
  mayListen?: boolean;
  /** A message's attachments from the REST API, where an analysed picture's analysis is found. */
  fetchMessageAttachments?: FetchMessageAttachments;
  /** The conversation's workspace (null: personal): given, people who may post get the "/" menu of its plugins' tools. */
  workspaceId?: string | null;
  /** Extra panels beside the conversation (share links). */
  aside?: HTMLElement;
  /** A line above the title (breadcrumbs, link permission). */
  kicker?: HTMLElement;
}

/** What dictation is transcribed as (the local engine knows English only). */
const DICTATION_LANGUAGE = 'en-US';

const STATE_LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  revoked: 'Access revoked',
  denied: 'No access',
};

/**
 * A conversation, live: its messages (and their files, and code runs) as the document mirrors them, the
 * shared draft with everyone's carets and the files to post with it, who is here and who is typing, and
 * the connection's state. People who may post can run the code blocks of messages and of the draft.
 */
export function roomView(options: RoomViewOptions): View {
  const { user, knownNames } = options;
  knownNames.set(user.id, user.name);
  const status = h('span', { class: 'status', 'data-state': 'connecting', role: 'status' }, STATE_LABELS.connecting);
  const notice = h('div', { class: 'notice', hidden: true, role: 'alert' });
  const presenceList = h('ul', { class: 'presence', 'aria-label': 'Who is here' });
  const typingLine = h('p', { class: 'typing', 'aria-live': 'polite' });
  const { conversationId } = options;
  const attachmentUrls = new AttachmentUrls(options.token);
  // The run's output comes back to everyone as a `tool` message in the document, not from this answer.
  const runControls = options.mayPost
    ? new MessageRunControls(async (messageId, language, code) => void (await runCode({ language, code, conversationId, messageId })))
    : undefined;
  const speakers = options.mayListen ? new MessageSpeakers() : undefined;
  const analyses = new AnalysisLookup({ fetchMessage: options.fetchMessageAttachments, onFound: () => messages.refresh() });
  const messages = messageList({ knownNames, attachmentUrls, runControls, speakers, analyses });
  // Messages written here and not yet taken by the server (offline, say) show at the end, marked "sending…".
  const sender = options.mayPost ? outbox() : undefined;
  const unsent = sender ? unsentPanel(sender) : undefined;
  let shownMessages: ShownMessage[] = [];
  let pendingMessages: ShownMessage[] = [];
  const showMessages = (list = shownMessages) => messages.render([...(shownMessages = list), ...pendingMessages]);
  const editorHost = h('div', { class: 'editor-host' });
  const postButton = h('button', { type: 'button', class: 'primary', disabled: true }, 'Post draft');
  const postError = h('p', { class: 'error', hidden: true });
  const composer = h(
    'section',
    { class: 'composer card' },
    h('div', { class: 'composer-head' }, h('h2', {}, 'Shared draft'), typingLine),
    editorHost,
  );
  // Pictures are posted as messages of their own at once, whether chosen, pasted or dropped anywhere on the conversation.
  const roomMain = h('div', { class: 'room-main' });
  const images = options.mayPost ? imageComposer({ conversationId, zone: roomMain, composer, analyses }) : undefined;
  // The files are this person's own (each upload is theirs until posted); only the draft's text is shared.
  const attachments = options.mayPost
    ? draftAttachments({
        conversationId: options.conversationId,
        dropZone: composer,
        onChange: updatePostButton,
        claimDropped: (files) => images?.claimImages(files) ?? files,
      })
    : undefined;
  // Dictation types into the shared draft.
  const mic = options.mayPost ? micButton({ editor: () => editor, language: DICTATION_LANGUAGE, token: options.token }) : undefined;
  // Tools run with their result posted as a message: only for people who may post.
  const tools =
    options.mayPost && options.workspaceId !== undefined
      ? toolMenu({
          conversationId,
          workspaceId: options.workspaceId,
          draftText: () => (editor ? draftText(editor) : ''),
          returnFocus: () => editor?.commands.focus(),
        })
      : undefined;
  if (attachments && images && mic)
    append(
      composer,
      attachments.el,
      images.el,
      mic.panel,
      tools?.panel,
      h('div', { class: 'composer-actions' }, tools?.button, attachments.picker, mic.el, images.button, postError, postButton),
    );
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
    // Members' conversations are kept on this device (share links are not: nobody signed in owns them).
    savedForUserId: session.get()?.user.id === user.id ? user.id : undefined,
    user,
    onState: (state, detail) => showState(state, detail),
  });

  function showState(state: ConnectionState, detail: StateDetail): void {
    status.dataset.state = state;
    status.dataset.savedOnDevice = String(detail.savedOnDevice);
    let label = STATE_LABELS[state];
    const isAway = state === 'offline' || state === 'reconnecting';
    if (isAway && detail.unsent > 0) label += ` — ${detail.unsent} ${detail.unsent === 1 ? 'change' : 'changes'} waiting`;
    if (isAway && detail.savedOnDevice) label += ' · saved on this device';
    else if (isAway && detail.savingOnDevice) label += ' · saving on this device…';
    else if (isAway && detail.unsent > 0) label += ' · your changes are kept and sent when back online';
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
    // Offline, posting still works: the message waits in the outbox.
    const canPostNow = room.state === 'connected' || sender !== undefined;
    postButton.disabled = !editor?.isEditable || !editor.getText().trim() || !canPostNow || attachments?.isUploading() === true;
    mic?.setEnabled(editor?.isEditable === true && room.state === 'connected');
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

  async function post(): Promise<void> {
    if (!editor) return;
    const content = draftText(editor);
    if (!content) return;
    postButton.disabled = true;
    postError.hidden = true;
    const attachmentIds = attachments?.readyIds() ?? [];
    try {
      const body = { role: 'user' as const, content, ...(attachmentIds.length > 0 ? { attachmentIds } : {}) };
      const path = routeUrl('/api/conversations/{id}/messages', { params: { id: conversationId } });
      // Kept on this device with its idempotency key, then sent: a lost answer never posts it twice.
      const { isKept, settled } = await sendKept({ kind: 'postMessage', path, body, conversationId, summary: content });
      // Refusals of kept messages show under "Couldn't send"; one sent directly, under the button.
      void settled.then((result) => {
        if (result.kind === 'done' || isKept) return;
        postError.hidden = false;
        postError.textContent = result.failure.message;
      });
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

  showMessages(
    options.initialMessages.map((message) => ({
      ...message,
      author: message.authorId ?? null,
      attachments: message.attachments ?? [],
      execution: message.execution ?? null,
    })),
  );
  room.provider.on('synced', () => showMessages(messagesFromDocument(room.messages)));
  room.messages.observeDeep(() => showMessages(messagesFromDocument(room.messages)));
  const stopWatchingOutbox = sender?.subscribe((actions) => {
    const ours = actions.filter((action) => action.conversationId === conversationId);
    pendingMessages = ours
      .filter((action) => !action.failure && action.kind === 'postMessage')
      .map((action) => pendingMessage(action, user.id));
    unsent?.show(ours.filter((action) => action.failure));
    showMessages();
  });
  room.provider.on('awarenessChange', renderPresence);
  postButton.addEventListener('click', () => void post());

  roomMain.append(h('section', { class: 'card' }, messages.el), ...(unsent ? [unsent.el] : []), composer);
  const title = roomTitle({ title: options.title, liveTitle: room.title, rename: options.rename });
  const el = h(
    'div',
    { class: 'room' },
    h('header', { class: 'room-head' }, options.kicker, h('div', { class: 'title-row' }, title.el, status), presenceList, notice),
    h('div', { class: options.aside ? 'room-body with-aside' : 'room-body' }, roomMain, options.aside),
  );

  // Draft runs are posted with no source message: the output shows under the block for whoever ran it.
  const runDraftCode = options.mayPost ? (language: CodeLanguage, code: string) => runCode({ language, code, conversationId }) : undefined;
  editor = createDraftEditor(editorHost, room, user, runDraftCode);
  editor.on('update', updatePostButton);
  if (tools) opensOnSlash(editorHost, editor, () => tools.open());
  renderPresence();

  return {
    el,
    destroy() {
      title.destroy();
      mic?.destroy();
      speakers?.destroy();
      editor?.destroy();
      room.destroy();
      stopWatchingOutbox?.();
      attachmentUrls.revokeAll();
    },
  };
}

/**
 * "/" typed at the start of an empty line of the draft opens the tool menu instead of going into the
 * shared draft (everyone would see it). Captured on the host, before the editor handles the key.
 */
function opensOnSlash(host: HTMLElement, editor: Editor, open: () => void): void {
  host.addEventListener(
    'keydown',
    (event) => {
      if (event.key !== '/' || event.ctrlKey || event.metaKey || event.altKey || event.target !== editor.view.dom) return;
      const { selection } = editor.state;
      const line = selection.$from.parent;
      if (!editor.isEditable || !selection.empty || line.type.name !== 'paragraph' || line.content.size > 0) return;
      event.preventDefault();
      event.stopPropagation();
      open();
    },
    true,
  );
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
