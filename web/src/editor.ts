import { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import StarterKit from '@tiptap/starter-kit';
import type { AwarenessUser, Room } from './collab.ts';

/** How long after the last key press "typing…" goes away. */
const TYPING_IDLE_MS = 1_500;

/**
 * The shared draft: TipTap bound to the document's `draft` fragment, with everyone's carets labelled
 * from awareness. It starts read-only; `setEditable` follows what the collab server granted.
 */
export function createDraftEditor(element: HTMLElement, room: Room, user: AwarenessUser): Editor {
  const editor = new Editor({
    element,
    editable: false,
    extensions: [
      // Yjs keeps the history: StarterKit's own undo would fight the collaborative one.
      StarterKit.configure({ undoRedo: false }),
      Collaboration.configure({ document: room.doc, field: 'draft' }),
      CollaborationCaret.configure({ provider: room.provider, user }),
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
