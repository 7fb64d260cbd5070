import type { CodeLanguage, MessageExecution } from '../api.ts';
import { runnableLanguage, splitFencedCode } from '../codeFences.ts';
import { h } from '../dom.ts';
import { runControl } from './runControl.ts';
import { runOutput } from './runOutput.ts';

/** Runs a block of a message (posted to the conversation with that message as its source). */
export type RunMessageCode = (messageId: string, language: CodeLanguage, code: string) => Promise<void>;

/**
 * The Run controls of every message's code blocks, kept across renders: the list is rebuilt whenever the
 * document changes (the run's own `tool` message arrives while it is still running), and a rebuilt
 * button must still say "Running…", or show why the run was refused.
 */
export class MessageRunControls {
  private controls = new Map<string, HTMLElement>();
  private used = new Set<string>();

  constructor(private readonly run: RunMessageCode) {}

  /** The control of a block, made once per message, block and code (an edit that changes the code gets a new one). */
  controlFor(messageId: string, blockIndex: number, language: CodeLanguage | null, code: string): HTMLElement {
    const key = JSON.stringify([messageId, blockIndex, code]);
    this.used.add(key);
    let control = this.controls.get(key);
    if (!control) {
      control = runControl({ language, code: () => code, run: (chosen, ran) => this.run(messageId, chosen, ran) }).el;
      this.controls.set(key, control);
    }
    return control;
  }

  /** Forgets the controls the last render did not use (messages deleted or edited). */
  startRender(): void {
    this.used = new Set();
  }

  endRender(): void {
    for (const key of this.controls.keys()) if (!this.used.has(key)) this.controls.delete(key);
  }
}

/**
 * A message's text with its fenced code blocks shown as code: each with its language, a Run button for
 * people who may run code in the room (`controls`), and the output of the block's latest run, which
 * comes from the document's `tool` messages and so reaches everyone in the room.
 */
export function messageContent(
  message: { id: string; content: string },
  latestRuns: ReadonlyMap<string, MessageExecution> | undefined,
  controls: MessageRunControls | undefined,
): HTMLElement {
  const parts = splitFencedCode(message.content);
  if (!parts.some((part) => part.kind === 'code')) return h('div', { class: 'content' }, message.content);
  let blockIndex = 0;
  return h(
    'div',
    { class: 'content' },
    ...parts.map((part) => {
      if (part.kind === 'text') return h('div', { class: 'prose' }, part.text);
      const index = blockIndex++;
      const language = runnableLanguage(part.tag);
      // A run names its message, not the block: its code tells which block of the message it was.
      const latest = latestRuns?.get(part.code);
      return h(
        'div',
        { class: 'code-block', 'data-language': part.tag },
        h(
          'div',
          { class: 'code-head' },
          h('span', { class: 'code-language' }, part.tag || 'code'),
          controls?.controlFor(message.id, index, language, part.code),
        ),
        h('pre', {}, h('code', { class: part.tag ? `language-${part.tag}` : '' }, part.code)),
        latest && runOutput(latest),
      );
    }),
  );
}
