import { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import StarterKit from '@tiptap/starter-kit';
import type { AwarenessUser, Room } from './collab.ts';
import { fenceCode } from './codeFences.ts';
import { draftCodeBlocks, type RunDraftCode } from './draftCodeBlocks.ts';

/** How long after the last key press "typing…" goes away. */
const TYPING_IDLE_MS = 1_500;

/**
 * The shared draft: TipTap bound to the document's `draft` fragment, with everyone's carets labelled
 * from awareness, and code blocks with a Run button when `runCode` is given. It starts read-only;
 * `setEditable` follows what the collab server granted.
 */
export function createDraftEditor(element: HTMLElement, room: Room, user: AwarenessUser, runCode?: RunDraftCode): Editor {
  const editor = new Editor({
    element,
    editable: false,
    extensions: [
      // Yjs keeps the history: StarterKit's own undo would fight the collaborative one.
      StarterKit.configure({ undoRedo: false }),
      Collaboration.configure({ document: room.doc, field: 'draft' }),
      CollaborationCaret.configure({ provider: room.provider, user }),
      draftCodeBlocks(runCode),
    ],
    editorProps: { attributes: { class: 'draft-editor', 'aria-label': 'Shared draft', role: 'textbox', 'aria-multiline': 'true' } },
  });

  let idle: ReturnType<typeof setTimeout> | undefined;
  editor.view.dom.addEventListener('keydown', () => {
    if (!editor.isEditable) return;
    room.setTyping(true);
    clearTimeout(idle);
    idle = setTimeout(() => room.setTyping(false), TYPING_IDLE_MS);
  });
  editor.on('destroy', () => clearTimeout(idle));
  return editor;
}

/** The draft as message text: paragraphs one per line, code blocks fenced with their language so the message shows them as code. */
export function draftText(editor: Editor): string {
  return editor
    .getText({
      blockSeparator: '\n',
      textSerializers: {
        codeBlock: ({ node }) => fenceCode(node.textContent, typeof node.attrs.language === 'string' ? node.attrs.language : null),
      },
    })
    .trim();
}
