import { ApiError } from '../api.ts';
import { h } from '../dom.ts';
import { synthesize } from '../media/mediaApi.ts';

type SpeakerState = 'idle' | 'loading' | 'playing';

interface Speaker {
  el: HTMLElement;
  button: HTMLButtonElement;
  error: HTMLElement;
  text: string;
  state: SpeakerState;
}

/**
 * The "Read aloud" buttons of the messages: the server reads the text (`POST /api/voice/synthesize`) and
 * the page plays it; the button then stops it. One message plays at a time: starting another stops the
 * first. Kept across renders (the list is rebuilt on every change) so a playing button still says Stop.
 */
export class MessageSpeakers {
  private speakers = new Map<string, Speaker>();
  private used = new Set<string>();
  private playing: { key: string; audio: HTMLAudioElement; url: string } | undefined;
  /** Bumped on every start or stop, so a synthesis that comes back after the person moved on is dropped. */
  private generation = 0;

  /** The button of a message, made once per message and text (an edited message gets a new one). */
  buttonFor(messageId: string, text: string): HTMLElement {
    const key = JSON.stringify([messageId, text]);
    this.used.add(key);
    let speaker = this.speakers.get(key);
    if (!speaker) {
      const button = h('button', { type: 'button', class: 'small speak-button' });
      const error = h('span', { class: 'error speak-error', role: 'alert', hidden: true });
      speaker = { el: h('span', { class: 'speak' }, button, error), button, error, text, state: 'idle' };
      const made = speaker;
      button.addEventListener('click', () => void (made.state === 'idle' ? this.play(key) : this.stop()));
      this.speakers.set(key, speaker);
      this.render(speaker);
    }
    return speaker.el;
  }

  startRender(): void {
    this.used = new Set();
  }

  /** Forgets the buttons the last render did not use; a message that went away stops playing. */
  endRender(): void {
    for (const key of this.speakers.keys()) if (!this.used.has(key)) this.speakers.delete(key);
    if (this.playing && !this.speakers.has(this.playing.key)) this.stop();
  }

  destroy(): void {
    this.stop();
    this.speakers.clear();
  }

  private async play(key: string): Promise<void> {
    this.stop();
    const speaker = this.speakers.get(key);
    if (!speaker) return;
    const generation = ++this.generation;
    this.setState(speaker, 'loading');
    speaker.error.hidden = true;
    try {
      const audio = await synthesize(speaker.text);
      if (generation !== this.generation) return;
      const url = URL.createObjectURL(audio);
      const element = h('audio', { class: 'speech-audio', src: url });
      element.addEventListener('ended', () => this.stop());
      // Kept in the page (hidden), so it can be found and paused; one at a time.
      speaker.el.append(element);
      this.playing = { key, audio: element, url };
      this.setState(speaker, 'playing');
      await element.play();
    } catch (failure) {
      if (generation !== this.generation) return;
      this.stop();
      speaker.error.hidden = false;
      speaker.error.textContent = refusal(failure);
    }
  }

  private stop(): void {
    this.generation++;
    const current = this.playing;
    this.playing = undefined;
    if (current) {
      current.audio.pause();
      current.audio.remove();
      URL.revokeObjectURL(current.url);
    }
    for (const speaker of this.speakers.values()) if (speaker.state !== 'idle') this.setState(speaker, 'idle');
  }

  private setState(speaker: Speaker, state: SpeakerState): void {
    speaker.state = state;
    this.render(speaker);
  }

  private render(speaker: Speaker): void {
    const { button, state } = speaker;
    button.dataset.state = state;
    button.setAttribute('aria-busy', String(state === 'loading'));
    button.setAttribute('aria-label', state === 'idle' ? 'Read aloud' : 'Stop reading');
    button.textContent = state === 'idle' ? 'Read aloud' : 'Stop';
  }
}

function refusal(failure: unknown): string {
  if (failure instanceof ApiError && failure.code === 'engine_unavailable') return `Speech is unavailable: ${failure.message}`;
  if (failure instanceof ApiError) return failure.message;
  if (failure instanceof DOMException && failure.name === 'NotAllowedError') return 'The browser did not let the page play sound.';
  return 'It could not be read aloud.';
}
