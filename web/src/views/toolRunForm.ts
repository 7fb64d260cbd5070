import { ApiError } from '../api.ts';
import { h } from '../dom.ts';
import { runToolInConversation, type AvailableTool } from '../pluginTools.ts';
import { confirmDialog } from './confirmDialog.ts';
import { toolForm } from './toolForm.ts';

export interface ToolRunFormOptions {
  available: AvailableTool;
  conversationId: string;
  /** The draft's text, prefilled where the tool takes a text. */
  draftText: string;
  /** Back to the list of tools. */
  onBack: () => void;
  /** The result was posted: it reaches the conversation through the document. */
  onPosted: () => void;
}

/**
 * A tool's arguments as a form that runs it in the conversation with its result posted there. A tool
 * marked destructive asks first, and so does one the server answers `confirmation_required` for (it
 * turned destructive after the list was loaded); No sends nothing. A refusal is shown in the form.
 */
export function toolRunForm(options: ToolRunFormOptions): HTMLFormElement {
  const { available } = options;
  const fields = toolForm(available.tool.inputSchema, options.draftText);
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const run = h('button', { type: 'submit', class: 'primary' }, 'Run');
  const back = h('button', { type: 'button', onclick: options.onBack }, 'Back');
  const form = h(
    'form',
    { class: 'tool-form', 'aria-label': titleOf(available) },
    h('p', { class: 'tool-form-head' }, h('strong', {}, titleOf(available)), ` · ${available.pluginName}`),
    h('p', { class: 'hint' }, available.tool.description),
    ...fields.fields,
    error,
    h('div', { class: 'tool-form-actions' }, back, run),
  );
  const showError = (message: string | null) => {
    error.hidden = message === null;
    error.textContent = message ?? '';
  };
  const send = (input: Record<string, unknown>, confirm: boolean) =>
    runToolInConversation(available, { conversationId: options.conversationId, input, confirm });

  async function submit(): Promise<void> {
    showError(null);
    let input: Record<string, unknown>;
    try {
      input = fields.read();
    } catch (problem) {
      showError((problem as Error).message);
      return;
    }
    const isDestructive = available.tool.annotations.destructiveHint === true;
    if (isDestructive && !(await askToRun(available))) return;
    run.disabled = true;
    run.textContent = 'Running…';
    try {
      try {
        await send(input, isDestructive);
      } catch (refusal) {
        if (isDestructive || !(refusal instanceof ApiError && refusal.code === 'confirmation_required')) throw refusal;
        if (!(await askToRun(available))) return;
        await send(input, true);
      }
      options.onPosted();
    } catch (refusal) {
      showError(refusal instanceof ApiError ? refusal.message : 'The tool could not be run.');
    } finally {
      run.disabled = false;
      run.textContent = 'Run';
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  return form;
}

/** What a tool is called on screen: its title, or its name when it has none. */
export function titleOf(available: AvailableTool): string {
  return available.tool.annotations.title ?? available.tool.name;
}

function askToRun(available: AvailableTool): Promise<boolean> {
  return confirmDialog({
    title: `Run ${titleOf(available)}?`,
    message: `${titleOf(available)} (${available.pluginName}) changes or deletes data. Its result is posted in the conversation.`,
    confirmLabel: 'Run it',
  });
}
