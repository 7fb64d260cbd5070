import type { Editor } from '@tiptap/core';
import { ApiError } from '../api.ts';
import { h } from '../dom.ts';
import { startRecording, type Recording } from '../media/voiceRecording.ts';

/** Dictation stops by itself here: VOICE_MAX_SECONDS' default, past which the server refuses a recording. */
const MAX_DICTATION_MS = 600_000;

type MicState = 'idle' | 'starting' | 'recording' | 'transcribing';

export interface MicButton {
  /** The button and the recording's state (elapsed time, transcribing). */
  el: HTMLElement;
  /** The partial transcript while speaking, and any error: shown above the composer's buttons. */
  panel: HTMLElement;
  /** Dictation needs a draft this person may edit. */
  setEnabled(enabled: boolean): void;
  destroy(): void;
}

/**
 * Dictation into the shared draft: press to record, press again to stop. While recording it shows the
 * time and the partial transcript; on stop the final text is inserted at the draft's cursor (as an
 * edit of the shared document, so everyone in the room sees it). Refusals are said in words.
 */
export function micButton(options: { editor: () => Editor | undefined; language: string; token: () => Promise<string> }): MicButton {
  let state: MicState = 'idle';
  let enabled = false;
  let recording: Recording | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  const supported = typeof MediaRecorder !== 'undefined' && navigator.mediaDevices?.getUserMedia !== undefined;
  const button = h('button', { type: 'button', class: 'mic-button' });
  // The state is announced; the running time is only shown (a live region ticking every second is noise).
  const stateText = h('span', { role: 'status' });
  const clock = h('span', { class: 'voice-elapsed', 'aria-hidden': 'true' });
  const status = h('span', { class: 'voice-status' }, stateText, clock);
  const partial = h('p', { class: 'voice-partial', 'aria-live': 'polite', 'aria-label': 'What was heard so far', hidden: true });
  const error = h('p', { class: 'error voice-error', role: 'alert', hidden: true });

  function render(): void {
    button.dataset.state = state;
    button.disabled = !supported || (state === 'idle' && !enabled) || state === 'starting' || state === 'transcribing';
    button.textContent = state === 'recording' ? 'Stop' : 'Dictate';
    button.setAttribute('aria-label', state === 'recording' ? 'Stop recording' : 'Dictate into the draft');
    button.title = supported ? 'Speak, and the words go into the shared draft' : 'This browser cannot record audio';
    const words = { idle: '', starting: 'Starting the microphone…', recording: 'Recording', transcribing: 'Transcribing…' }[state];
    if (stateText.textContent !== words) stateText.textContent = words;
    clock.textContent = state === 'recording' && recording ? ` ${elapsed(Date.now() - recording.startedAt)}` : '';
  }

  function showError(message: string | null): void {
    error.hidden = message === null;
    error.textContent = message ?? '';
  }

  async function start(): Promise<void> {
    state = 'starting';
    showError(null);
    partial.hidden = true;
    partial.textContent = '';
    render();
    try {
      recording = await startRecording({
        language: options.language,
        token: options.token,
        onPartial(text) {
          if (partial.classList.contains('stream-lost')) return;
          partial.hidden = text === '';
          partial.textContent = text;
        },
        // The recording goes on and is uploaded at the end; nothing for the person to do but know it.
        onStreamLost() {
          partial.classList.add('stream-lost');
          partial.hidden = false;
          partial.textContent = 'No live transcript: the recording is transcribed when you stop.';
        },
      });
    } catch (failure) {
      state = 'idle';
      showError(microphoneRefusal(failure));
      render();
      return;
    }
    state = 'recording';
    ticker = setInterval(() => {
      if (recording && Date.now() - recording.startedAt >= MAX_DICTATION_MS) void stop();
      else render();
    }, 250);
    render();
  }

  async function stop(): Promise<void> {
    const current = recording;
    if (!current) return;
    // Taken at once, so a second press (or the time limit) while the recorder winds down stops nothing twice.
    recording = undefined;
    clearInterval(ticker);
    state = 'transcribing';
    render();
    try {
      const transcript = await current.stop();
      const text = transcript.text.trim();
      if (text) insertAtCursor(options.editor(), text);
      else showError('Nothing was heard. Try again closer to the microphone.');
    } catch (failure) {
      showError(transcriptionRefusal(failure));
    } finally {
      state = 'idle';
      partial.hidden = true;
      partial.classList.remove('stream-lost');
      render();
    }
  }

  button.addEventListener('click', () => void (state === 'recording' ? stop() : state === 'idle' ? start() : undefined));
  render();

  return {
    el: h('div', { class: 'voice-row' }, button, status),
    panel: h('div', { class: 'voice-panel' }, partial, error),
    setEnabled(value) {
      enabled = value;
      render();
    },
    destroy() {
      clearInterval(ticker);
      recording?.cancel();
    },
  };
}

/** The text at the draft's cursor, as plain text (never parsed as markup), spaced from the word before it. */
function insertAtCursor(editor: Editor | undefined, text: string): void {
  if (!editor?.isEditable) return;
  const { from } = editor.state.selection;
  const before = editor.state.doc.textBetween(Math.max(0, from - 1), from, '\n', '\n');
  editor
    .chain()
    .focus()
    .insertContent({ type: 'text', text: before && !/\s/.test(before) ? ` ${text}` : text })
    .run();
}

const elapsed = (ms: number) => {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

function microphoneRefusal(failure: unknown): string {
  const name = failure instanceof DOMException ? failure.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'Microphone access was denied. Allow the microphone for this site to dictate.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No microphone was found.';
  if (name === 'NotReadableError') return 'The microphone is in use by another application.';
  return 'The microphone could not be started.';
}

function transcriptionRefusal(failure: unknown): string {
  if (!(failure instanceof ApiError)) return 'The recording could not be transcribed.';
  if (failure.code === 'engine_unavailable') return `Speech recognition is unavailable: ${failure.message}`;
  if (failure.code === 'rate_limited') return 'You have dictated too often. Try again in a minute.';
  return `The recording could not be transcribed: ${failure.message}`;
}
