import * as Y from 'yjs';
import { changedSpan, draftTextOf, setDraftText } from './draftText';

/** A draft as TipTap writes it: paragraphs of text, the second one bold. */
function webDraft(): Y.XmlFragment {
  const doc = new Y.Doc();
  const fragment = doc.getXmlFragment('draft');
  const first = new Y.XmlElement('paragraph');
  first.insert(0, [new Y.XmlText('Hello team')]);
  const second = new Y.XmlElement('paragraph');
  const bold = new Y.XmlText();
  second.insert(0, [bold]);
  fragment.insert(0, [first, second]);
  bold.insert(0, 'Ship on Friday', { bold: true });
  return fragment;
}

describe('the shared draft as plain text', () => {
  it('reads one line per block', () => {
    expect(draftTextOf(webDraft())).toBe('Hello team\nShip on Friday');
  });

  it('turns a keystroke into an edit of that paragraph only, keeping the other lines’ formatting', () => {
    const fragment = webDraft();
    setDraftText(fragment, 'Hello dear team\nShip on Friday');

    expect(draftTextOf(fragment)).toBe('Hello dear team\nShip on Friday');
    const secondText = (fragment.get(1) as Y.XmlElement).get(0) as Y.XmlText;
    expect(secondText.toDelta()).toEqual([{ insert: 'Ship on Friday', attributes: { bold: true } }]);
  });

  it('merges with a concurrent edit from the web instead of overwriting it', () => {
    const phone = webDraft();
    const web = new Y.Doc();
    Y.applyUpdate(web, Y.encodeStateAsUpdate(phone.doc!));
    setDraftText(phone, 'Hello team!\nShip on Friday');
    ((web.getXmlFragment('draft').get(1) as Y.XmlElement).get(0) as Y.XmlText).insert(14, ' at noon');

    Y.applyUpdate(web, Y.encodeStateAsUpdate(phone.doc!));
    Y.applyUpdate(phone.doc!, Y.encodeStateAsUpdate(web));

    expect(draftTextOf(phone)).toBe('Hello team!\nShip on Friday at noon');
    expect(draftTextOf(web.getXmlFragment('draft'))).toBe('Hello team!\nShip on Friday at noon');
  });

  it('writes new lines as paragraphs, and an empty draft as none', () => {
    const fragment = new Y.Doc().getXmlFragment('draft');
    setDraftText(fragment, 'one\n\nthree');
    expect(fragment.toArray().map((node) => (node as Y.XmlElement).nodeName)).toEqual(['paragraph', 'paragraph', 'paragraph']);
    expect(draftTextOf(fragment)).toBe('one\n\nthree');
    setDraftText(fragment, 'one\n\nthree!');
    expect(draftTextOf(fragment)).toBe('one\n\nthree!');
    setDraftText(fragment, '');
    expect(fragment.length).toBe(0);
  });

  it('finds the changed span between two texts', () => {
    expect(changedSpan('abcdef', 'abXYef')).toEqual({ start: 2, removed: 2, inserted: 'XY' });
    expect(changedSpan('aaa', 'aaaa')).toEqual({ start: 3, removed: 0, inserted: 'a' });
    expect(changedSpan('same', 'same')).toEqual({ start: 4, removed: 0, inserted: '' });
  });
});
