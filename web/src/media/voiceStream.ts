import type { StreamServerMessage, Transcription } from './types.ts';

/** Where the REST API takes a live recording: its own host and port. */
export function voiceStreamUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/voice/stream`;
}

/**
 * One recording streamed to `/api/voice/stream`: `start` with the token, then the recorder's chunks in
 * order (held back until the server is `ready`), partial transcripts as they come, and `stop` → `final`.
 * `finish()` rejects when the socket failed at any point, so the caller can upload the recording instead.
 */
export class VoiceStream {
  private readonly socket: WebSocket;
  private isReady = false;
  private isStopping = false;
  private failure: Error | undefined;
  private readonly waiting: Blob[] = [];
  private final: { resolve(value: Transcription): void; reject(error: Error): void } | undefined;
  private readonly finalPromise: Promise<Transcription>;

  constructor(options: { token: string; language: string; onPartial(text: string): void; onFailure(error: Error): void }) {
    this.finalPromise = new Promise((resolve, reject) => (this.final = { resolve, reject }));
    // Nobody may be waiting yet: a failure is reported through onFailure and again by finish().
    this.finalPromise.catch(() => undefined);
    const fail = (error: Error) => {
      if (this.failure || !this.final) return;
      this.failure = error;
      this.final.reject(error);
      options.onFailure(error);
      if (this.socket.readyState <= WebSocket.OPEN) this.socket.close();
    };
    this.socket = new WebSocket(voiceStreamUrl());
    this.socket.addEventListener('open', () =>
      this.socket.send(JSON.stringify({ type: 'start', token: options.token, language: options.language })),
    );
    this.socket.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      let message: StreamServerMessage;
      try {
        message = JSON.parse(event.data) as StreamServerMessage;
      } catch {
        return;
      }
      if (message.type === 'ready') {
        this.isReady = true;
        for (const chunk of this.waiting.splice(0)) this.socket.send(chunk);
        if (this.isStopping) this.socket.send(JSON.stringify({ type: 'stop' }));
      } else if (message.type === 'partial') options.onPartial(message.text);
      else if (message.type === 'final') {
        this.final?.resolve(message.data);
        this.final = undefined;
      } else if (message.type === 'error') fail(new Error(message.error.message));
    });
    this.socket.addEventListener('error', () => fail(new Error('The live transcription could not connect.')));
    this.socket.addEventListener('close', () => fail(new Error('The live transcription connection closed.')));
  }

  get hasFailed(): boolean {
    return this.failure !== undefined;
  }

  /** A chunk of the recording, in order. */
  send(chunk: Blob): void {
    if (this.failure) return;
    if (this.isReady) this.socket.send(chunk);
    else this.waiting.push(chunk);
  }

  /** Every chunk has been sent: asks for the final transcript, giving up after `timeoutMs`. */
  finish(timeoutMs: number): Promise<Transcription> {
    if (!this.failure) {
      this.isStopping = true;
      if (this.isReady) this.socket.send(JSON.stringify({ type: 'stop' }));
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('The live transcription took too long.')), timeoutMs);
    });
    return Promise.race([this.finalPromise, deadline]).finally(() => {
      clearTimeout(timer);
      this.close();
    });
  }

  close(): void {
    this.final = undefined;
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close();
  }
}
