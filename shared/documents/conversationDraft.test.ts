import { describe, expect, it } from '@jest/globals';
import * as Y from 'yjs';
import { draftTextOf } from './conversationDraft.ts';

/** An element with children, as TipTap writes them into the draft. */
function element(name: string, children: Array<Y.XmlElement | Y.XmlText>): Y.XmlElement {
  const node = new Y.XmlElement(name);
  node.insert(0, children);
  return node;
}

describe('draftTextOf', () => {
  it('is empty for a draft nobody wrote', () => {
    expect(draftTextOf(new Y.Doc())).toBe('');
  });

  it('reads one line per block, marks dropped, nested blocks each on their own line', () => {
    const doc = new Y.Doc();
    const marked = new Y.XmlText();
    const draft = doc.getXmlFragment('draft');
    draft.push([
      element('heading', [new Y.XmlText('Plan')]),
      element('paragraph', [marked]),
      element('bulletList', [
        element('listItem', [element('paragraph', [new Y.XmlText('one')])]),
        element('listItem', [element('paragraph', [new Y.XmlText('two')])]),
      ]),
      element('paragraph', []),
      element('codeBlock', [new Y.XmlText('const a = 1;\nconst b = 2;')]),
    ]);
    marked.insert(0, 'plain ');
    marked.insert(6, 'bold', { bold: true });
    expect(draftTextOf(doc)).toBe('Plan\nplain bold\none\ntwo\n\nconst a = 1;\nconst b = 2;');
  });
});
