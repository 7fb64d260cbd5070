import { Extension } from '@tiptap/core';
import type { Node as ProseMirrorNode } from '@tiptap/pm/model';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import type { EditorView, NodeView, ViewMutationRecord } from '@tiptap/pm/view';
import type { CodeLanguage } from './api.ts';
import { runnableLanguage } from './codeFences.ts';
import { h, replaceChildren } from './dom.ts';
import { runControl, type RunControl } from './views/runControl.ts';
import { runOutput, type RunShown } from './views/runOutput.ts';

/** Runs a draft block's code (posted to the conversation, which shows it to everyone as a `tool` message). */
export type RunDraftCode = (language: CodeLanguage, code: string) => Promise<RunShown>;

/**
 * The draft's code blocks with a Run button (and a language picker when the block names none) and, for
 * whoever ran it, the output under the block. Only the code itself is document content: the controls and
 * the output are this page's own, outside ProseMirror's editing, so collaborators never see or sync them.
 */
export function draftCodeBlocks(run: RunDraftCode | undefined): Extension {
  // By code: a block whose view ProseMirror rebuilds (a collaborator's edit around it) finds its output again.
  const outputs = new Map<string, RunShown>();
  return Extension.create({
    name: 'draftCodeBlockRuns',
    addProseMirrorPlugins() {
      return [
        new Plugin({
          key: new PluginKey('draftCodeBlockRuns'),
          props: { nodeViews: { codeBlock: (node, view, getPos) => new DraftCodeBlockView(node, view, getPos, run, outputs) } },
        }),
      ];
    },
  });
}

class DraftCodeBlockView implements NodeView {
  readonly dom: HTMLElement;
  readonly contentDOM: HTMLElement;
  private readonly tools: HTMLElement;
  private readonly label = h('span', { class: 'code-language' });
  private readonly output = h('div', { class: 'run-output-slot' });
  private readonly control: RunControl | undefined;

  constructor(
    private node: ProseMirrorNode,
    private readonly view: EditorView,
    private readonly getPos: () => number | undefined,
    run: RunDraftCode | undefined,
    outputs: Map<string, RunShown>,
  ) {
    this.contentDOM = h('code');
    this.control =
      run &&
      runControl({
        language: runnableLanguage(this.languageTag()),
        code: () => this.node.textContent,
        onPick: (language) => this.setLanguage(language),
        run: async (language, code) => {
          const result = await run(language, code);
          outputs.set(code, result);
          this.showOutput(result);
        },
      });
    this.tools = h('div', { class: 'code-head', contentEditable: 'false' }, this.label, this.control?.el);
    this.output.contentEditable = 'false';
    this.dom = h('div', { class: 'code-block draft-code-block' }, this.tools, h('pre', {}, this.contentDOM), this.output);
    this.showLanguage();
    const earlier = outputs.get(node.textContent);
    if (earlier) this.showOutput(earlier);
  }

  update(node: ProseMirrorNode): boolean {
    if (node.type !== this.node.type) return false;
    const languageChanged = node.attrs.language !== this.node.attrs.language;
    this.node = node;
    if (languageChanged) {
      this.showLanguage();
      this.control?.setLanguage(runnableLanguage(this.languageTag()));
    }
    return true;
  }

  /** The buttons and the output are not document content: ProseMirror must neither handle their events nor reread them. */
  stopEvent(event: Event): boolean {
    return event.target instanceof Node && (this.tools.contains(event.target) || this.output.contains(event.target));
  }

  ignoreMutation(mutation: ViewMutationRecord): boolean {
    return mutation.type !== 'selection' && !this.contentDOM.contains(mutation.target);
  }

  private languageTag(): string {
    return typeof this.node.attrs.language === 'string' ? this.node.attrs.language : '';
  }

  private showLanguage(): void {
    const tag = this.languageTag();
    this.label.textContent = tag || 'code';
    this.dom.dataset.language = tag;
    this.contentDOM.className = tag ? `language-${tag}` : '';
  }

  /** Writes the picked language into the block, for everyone, when it names none (a tag the runner does not know is kept). */
  private setLanguage(language: CodeLanguage): void {
    const pos = this.getPos();
    if (this.languageTag() !== '' || pos === undefined || !this.view.editable) return;
    this.view.dispatch(this.view.state.tr.setNodeMarkup(pos, undefined, { ...this.node.attrs, language }));
  }

  private showOutput(result: RunShown): void {
    replaceChildren(this.output, runOutput(result));
  }
}
