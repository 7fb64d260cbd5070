import { transcribeRecording } from './mediaApi.ts';
import type { Transcription } from './types.ts';
import { VoiceStream } from './voiceStream.ts';

/** How often the recorder hands over a chunk, which goes straight to the live transcription. */
const TIMESLICE_MS = 250;
/** How long the final transcript may take after stop, beyond the recording's own length. */
const FINAL_GRACE_MS = 15_000;

/** Opus in WebM where the browser records it (Chromium, Firefox), Opus in Ogg otherwise; else the browser's default. */
function recordingType(): string | undefined {
  return ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'].find((type) => MediaRecorder.isTypeSupported(type));
}

export interface RecordingOptions {
  language: string;
  /** The access token for the stream's `start` frame. */
  token: () => Promise<string>;
  onPartial: (text: string) => void;
  /** The live transcription failed: the recording goes on, and is uploaded when it stops. */
  onStreamLost: (error: Error) => void;
}

export interface Recording {
  /** When it started (Date.now()). */
  startedAt: number;
  /** Stops the microphone and resolves to the final transcript: streamed, or uploaded when the stream failed. */
  stop(): Promise<Transcription>;
  /** Stops the microphone and drops everything. */
  cancel(): void;
}

/**
 * Records the microphone (MediaRecorder, a chunk every 250 ms) and streams it to the live transcription
 * as it goes. Every chunk is also kept, so a stream that fails does not lose what was said: the whole
 * recording is uploaded to `POST /api/voice/transcribe` instead. Rejects at once when the microphone is
 * refused (a DOMException named NotAllowedError) or missing (NotFoundError).
 */
export async function startRecording(options: RecordingOptions): Promise<Recording> {
  const microphone = await navigator.mediaDevices.getUserMedia({ audio: true });
  const type = recordingType();
  const recorder = new MediaRecorder(microphone, type ? { mimeType: type } : undefined);
  const chunks: Blob[] = [];
  let stream: VoiceStream | undefined;
  try {
    stream = new VoiceStream({
      token: await options.token(),
      language: options.language,
      onPartial: options.onPartial,
      onFailure: options.onStreamLost,
    });
  } catch (error) {
    // No WebSocket at all (a blocked URL): recorded and uploaded all the same.
    options.onStreamLost(error instanceof Error ? error : new Error(String(error)));
  }
  recorder.addEventListener('dataavailable', (event) => {
    if (event.data.size === 0) return;
    chunks.push(event.data);
    stream?.send(event.data);
  });
  const stopped = new Promise<void>((resolve) => recorder.addEventListener('stop', () => resolve(), { once: true }));
  const release = () => microphone.getTracks().forEach((track) => track.stop());
  recorder.start(TIMESLICE_MS);
  const startedAt = Date.now();

  return {
    startedAt,
    async stop() {
      // The last chunk comes with the stop event's dataavailable, before `stop`.
      if (recorder.state !== 'inactive') recorder.stop();
      await stopped;
      release();
      if (stream && !stream.hasFailed) {
        try {
          return await stream.finish(Date.now() - startedAt + FINAL_GRACE_MS);
        } catch (error) {
          options.onStreamLost(error instanceof Error ? error : new Error(String(error)));
        }
      }
      return transcribeRecording(new Blob(chunks, { type: recorder.mimeType || type || 'audio/webm' }), options.language);
    },
    cancel() {
      stream?.close();
      if (recorder.state !== 'inactive') recorder.stop();
      release();
    },
  };
}
