import type { MessageExecution } from '../api.ts';
import { runnableLanguage, LANGUAGE_NAMES } from '../codeFences.ts';
import { h } from '../dom.ts';

/**
 * What a run printed and how it ended: from a `tool` message's execution (the document's or the REST
 * API's) or from the answer to one's own run. Streams may be null in a stored run past its retention.
 */
export type RunShown = Pick<MessageExecution, 'language' | 'exitCode' | 'signal' | 'durationMs' | 'limit' | 'truncated'> & {
  stdout: string | null;
  stderr: string | null;
};

const LIMIT_WORDS: Record<NonNullable<RunShown['limit']>, string> = {
  time: 'stopped: time limit',
  memory: 'stopped: memory limit',
  output: 'stopped: output limit',
  processes: 'stopped: process limit',
};

/** How the run ended, in the server's words (rest-api/modules/code/describeRun.ts): `exit 0`, `stopped: time limit`. */
export function runEnding(run: RunShown): string {
  if (run.limit) return LIMIT_WORDS[run.limit];
  return run.exitCode !== null ? `exit ${run.exitCode}` : `signal ${run.signal ?? 'unknown'}`;
}

/**
 * A run's output: its language, ending and duration, then stdout and stderr as separate blocks, a note
 * when either was cut at the output limit and, when `code` is given (a `tool` message's card), the code
 * that ran, collapsed.
 */
export function runOutput(run: RunShown, options: { code?: string } = {}): HTMLElement {
  const outcome = run.limit ? 'limit' : run.exitCode === 0 ? 'ok' : 'failed';
  const stdout = run.stdout ?? '';
  const stderr = run.stderr ?? '';
  const cut = [run.truncated.stdout && 'stdout', run.truncated.stderr && 'stderr'].filter(Boolean).join(' and ');
  const language = runnableLanguage(run.language);
  return h(
    'section',
    { class: 'run-output', 'data-outcome': outcome, 'aria-label': 'Run output' },
    h(
      'div',
      { class: 'run-head' },
      h('span', { class: 'run-language' }, language ? LANGUAGE_NAMES[language] : run.language),
      h('span', { class: 'run-ending' }, runEnding(run)),
      h('span', { class: 'run-duration' }, formatDuration(run.durationMs)),
    ),
    stdout !== '' && h('pre', { class: 'run-stdout', 'aria-label': 'Standard output' }, stdout),
    stderr !== '' && h('pre', { class: 'run-stderr', 'aria-label': 'Standard error' }, stderr),
    stdout === '' && stderr === '' && h('p', { class: 'run-empty' }, run.stdout === null ? 'Output no longer kept.' : 'No output.'),
    cut !== '' && h('p', { class: 'run-truncated' }, `Output cut at the size limit (${cut}).`),
    options.code !== undefined && h('details', { class: 'run-code' }, h('summary', {}, 'Code'), h('pre', {}, h('code', {}, options.code))),
  );
}

function formatDuration(ms: number): string {
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
