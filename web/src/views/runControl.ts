import type { CodeLanguage } from '../api.ts';
import { LANGUAGE_NAMES } from '../codeFences.ts';
import { h } from '../dom.ts';
import { runRefusalText } from '../runCode.ts';

export interface RunControlProps {
  /** The block's language; null (no fence tag, or one the runner does not know) shows a picker. */
  language: CodeLanguage | null;
  /** The code as it is when Run is pressed (a draft block changes while it is on screen). */
  code: () => string;
  /** Runs it; a rejection is shown under the button. */
  run: (language: CodeLanguage, code: string) => Promise<void>;
  /** Told when the picker chooses a language (the draft writes it into its block). */
  onPick?: (language: CodeLanguage) => void;
}

export interface RunControl {
  el: HTMLElement;
  /** A new language from the block itself (a collaborator set it): the picker hides once there is one. */
  setLanguage(language: CodeLanguage | null): void;
}

/** A code block's Run button, with a language picker when the block names none, "Running…" meanwhile, and why a run was refused. */
export function runControl(props: RunControlProps): RunControl {
  /** What the block itself says; the picker shows only while it says nothing runnable. */
  let blockLanguage = props.language;
  let language = props.language;
  let isRunning = false;
  const picker = h(
    'select',
    { class: 'run-language-picker', 'aria-label': 'Language to run as' },
    h('option', { value: '' }, 'Language…'),
    ...Object.entries(LANGUAGE_NAMES).map(([value, name]) => h('option', { value }, name)),
  );
  const button = h('button', { type: 'button', class: 'small run-button' }, 'Run');
  const refusal = h('p', { class: 'error run-refusal', role: 'alert', hidden: true });

  function update(): void {
    picker.hidden = blockLanguage !== null;
    button.disabled = isRunning || language === null;
    button.textContent = isRunning ? 'Running…' : 'Run';
    button.setAttribute('aria-busy', String(isRunning));
    button.title = language ? `Run as ${LANGUAGE_NAMES[language]}` : 'Choose a language first';
  }

  picker.addEventListener('change', () => {
    language = picker.value === '' ? null : (picker.value as CodeLanguage);
    if (language) props.onPick?.(language);
    update();
  });
  async function runNow(): Promise<void> {
    if (!language || isRunning) return;
    isRunning = true;
    refusal.hidden = true;
    update();
    try {
      await props.run(language, props.code());
    } catch (error) {
      refusal.hidden = false;
      refusal.textContent = runRefusalText(error);
    } finally {
      isRunning = false;
      update();
    }
  }
  button.addEventListener('click', () => void runNow());
  update();

  return {
    el: h('div', { class: 'run-control' }, picker, button, refusal),
    setLanguage(next) {
      blockLanguage = next;
      language = next ?? (picker.value === '' ? null : (picker.value as CodeLanguage));
      update();
    },
  };
}
