import * as Y from 'yjs';
import type { AttachmentSummary, Message, MessageExecution } from '../api.ts';
import { formatTime, h, replaceChildren } from '../dom.ts';
import type { AttachmentUrls } from '../files.ts';
import type { AnalysisLookup } from '../media/analysisLookup.ts';
import type { AttachmentAnalysis } from '../media/types.ts';
import { thumbnailKey } from './analysedPicture.ts';
import { messageAttachments } from './messageAttachments.ts';
import { messageContent, type MessageRunControls } from './messageContent.ts';
import type { MessageSpeakers } from './messageSpeakers.ts';
import { runOutput } from './runOutput.ts';

/** A message as the list shows it, from the REST API or the document alike. */
export type ShownMessage = Pick<Message, 'id' | 'role' | 'content' | 'createdAt' | 'editedAt'> & {
  author: string | null;
  /** With the analysis of an analysed picture, when the message's source carries it. */
  attachments: Array<AttachmentSummary & { analysis?: AttachmentAnalysis | null }>;
  /** On `tool` messages: the code run they record. */
  execution: MessageExecution | null;
  /** Written on this device and waiting in the outbox: shown as "sending…", without run or read-aloud buttons. */
  isPending?: boolean;
};

export interface MessageListOptions {
  /** Names of message authors known from elsewhere (workspace members, yourself). */
  knownNames: ReadonlyMap<string, string>;
  attachmentUrls: AttachmentUrls;
  /** Run buttons on code blocks, for people who may post; none for everyone else. */
  runControls?: MessageRunControls;
  /** "Read aloud" buttons, for signed-in people (the server reads the text for them). */
  speakers?: MessageSpeakers;
  /** What analysed pictures show: found text, objects and their boxes. */
  analyses?: AnalysisLookup;
}

/** The conversation's messages: text with runnable code blocks, files, and `tool` messages as run cards. */
export function messageList(options: MessageListOptions): {
  el: HTMLOListElement;
  render(messages: ShownMessage[]): void;
  /** Renders the last messages again (an analysis arrived). */
  refresh(): void;
} {
  const { knownNames, attachmentUrls, runControls, speakers, analyses } = options;
  let shown: ShownMessage[] = [];
  const el = h('ol', { class: 'messages', 'aria-label': 'Messages' });

  function authorName(author: string | null, role: Message['role']): string {
    if (role === 'assistant') return 'Assistant';
    if (role === 'system') return 'System';
    return (author && knownNames.get(author)) ?? 'Someone';
  }

  function render(messages: ShownMessage[]): void {
    shown = messages;
    const latestRuns = latestRunsBySource(messages);
    for (const message of messages) for (const attachment of message.attachments) analyses?.remember(attachment.id, attachment.analysis);
    const thumbnails: string[] = [];
    const analysisOf = (messageId: string) => (attachment: ShownMessage['attachments'][number]) => {
      const analysis = analyses?.find(messageId, attachment) ?? attachment.analysis ?? undefined;
      if (analysis) thumbnails.push(thumbnailKey(analysis));
      return analysis;
    };
    runControls?.startRender();
    speakers?.startRender();
    replaceChildren(
      el,
      ...(messages.length === 0 ? [h('li', { class: 'empty' }, 'No messages yet. Write the first one together below.')] : []),
      ...messages.map((message) =>
        h(
          'li',
          { class: `message ${message.role}${message.isPending ? ' pending' : ''}`, 'data-id': message.id },
          h(
            'div',
            { class: 'meta' },
            h('strong', {}, authorName(message.author, message.role)),
            message.execution && h('span', { class: 'ran' }, 'ran code'),
            message.role === 'tool' && !message.execution && h('span', { class: 'ran' }, 'ran a tool'),
            h('time', { dateTime: message.createdAt }, formatTime(message.createdAt)),
            message.isPending && h('span', { class: 'sending' }, 'sending…'),
            ...(message.editedAt ? [h('span', { class: 'edited', title: `Edited ${formatTime(message.editedAt)}` }, 'edited')] : []),
            !message.execution && !message.isPending && message.content.trim() !== '' && speakers?.buttonFor(message.id, message.content),
          ),
          message.execution
            ? h('div', { class: 'run-card' }, runOutput(message.execution, { code: message.execution.code }))
            : // A tool's result is output to read, not code to run: its blocks get no Run button.
              messageContent(message, latestRuns.get(message.id), message.role === 'tool' || message.isPending ? undefined : runControls),
          message.attachments.length > 0 && messageAttachments(message.attachments, attachmentUrls, analysisOf(message.id)),
        ),
      ),
    );
    runControls?.endRender();
    speakers?.endRender();
    // Blobs of files no longer on the page (a deleted message) go now; the others are reused.
    attachmentUrls.keepOnly(
      new Set([...messages.flatMap((message) => message.attachments.map((attachment) => attachment.id)), ...thumbnails]),
    );
    el.scrollTop = el.scrollHeight;
  }

  return { el, render, refresh: () => render(shown) };
}

/** For each message whose code ran, the latest run of each of its blocks, by the block's code. */
function latestRunsBySource(messages: readonly ShownMessage[]): Map<string, Map<string, MessageExecution>> {
  const runs = new Map<string, Map<string, MessageExecution>>();
  // Messages are oldest first: a later run of the same code replaces an earlier one.
  for (const { execution } of messages) {
    if (!execution?.sourceMessageId) continue;
    const ofSource = runs.get(execution.sourceMessageId) ?? new Map<string, MessageExecution>();
    ofSource.set(execution.code, execution);
    runs.set(execution.sourceMessageId, ofSource);
  }
  return runs;
}

/**
 * The document's `messages`, as the list shows them. The server owns them; still, anything that is not a
 * message map, or repeats an id, is not shown.
 */
export function messagesFromDocument(messages: Y.Array<Y.Map<unknown>>): ShownMessage[] {
  const entries = new Map<string, Y.Map<unknown>>();
  for (const entry of messages.toArray() as unknown[]) {
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
    execution: executionOf(entry.get('execution')),
  }));
}

/**
 * A document entry's `attachments`: a JSON array the server writes; anything malformed in it is skipped.
 * An `analysis` in it is taken when it has the shape a picture's analysis has.
 */
function attachmentsOf(value: unknown): ShownMessage['attachments'] {
  if (!Array.isArray(value)) return [];
  const files = (value as unknown[]).filter((item): item is AttachmentSummary => {
    if (typeof item !== 'object' || item === null) return false;
    const fields = item as Partial<Record<keyof AttachmentSummary, unknown>>;
    return (
      typeof fields.id === 'string' &&
      typeof fields.name === 'string' &&
      typeof fields.contentType === 'string' &&
      typeof fields.size === 'number'
    );
  });
  return files.map((file) => ({ ...file, analysis: documentAnalysis((file as { analysis?: unknown }).analysis) }));
}

function documentAnalysis(value: unknown): AttachmentAnalysis | null {
  if (typeof value !== 'object' || value === null) return null;
  const fields = value as Partial<Record<keyof AttachmentAnalysis, unknown>>;
  const isAnalysis =
    typeof fields.id === 'string' &&
    typeof fields.width === 'number' &&
    typeof fields.height === 'number' &&
    typeof fields.text === 'string' &&
    Array.isArray(fields.objects);
  return isAnalysis ? ({ description: '', thumbnailUrl: null, ...value } as AttachmentAnalysis) : null;
}

/** A document entry's `execution` (shared/documents/conversationDocument.ts › DocumentExecution); malformed reads as none. */
function executionOf(value: unknown): MessageExecution | null {
  if (typeof value !== 'object' || value === null) return null;
  const fields = value as Partial<Record<keyof MessageExecution, unknown>>;
  const isRun =
    typeof fields.code === 'string' &&
    typeof fields.language === 'string' &&
    typeof fields.stdout === 'string' &&
    typeof fields.stderr === 'string' &&
    typeof fields.durationMs === 'number' &&
    typeof fields.truncated === 'object' &&
    fields.truncated !== null;
  return isRun ? (value as MessageExecution) : null;
}
