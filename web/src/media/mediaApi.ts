import { api, ApiError, send, withSession } from '../api.ts';
import type { ImageAnalysis, Transcription } from './types.ts';

/** How often a queued transcription or analysis is asked about while it runs. */
const POLL_EVERY_MS = 500;

/** Asks `get` again until the job is done or failed, telling `onProgress` (0..1) meanwhile; a failure throws its error. */
async function untilFinished<T extends Pick<Transcription, 'status' | 'progress' | 'error'>>(
  first: T,
  get: () => Promise<T>,
  onProgress?: (progress: number) => void,
): Promise<T> {
  let job = first;
  while (job.status === 'pending' || job.status === 'running') {
    onProgress?.(job.progress);
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
    job = await get();
  }
  if (job.status === 'failed') throw new ApiError(422, job.error?.code ?? 'failed', job.error?.message ?? 'It could not be processed.');
  onProgress?.(1);
  return job;
}

/** A recording transcribed by upload (`POST /api/voice/transcribe`), waited for when it went to the queue. */
export async function transcribeRecording(
  recording: Blob,
  language: string,
  onProgress?: (progress: number) => void,
): Promise<Transcription> {
  const form = new FormData();
  const extension = recording.type.includes('ogg') ? 'ogg' : 'webm';
  form.append('audio', recording, `recording.${extension}`);
  const { data: first } = await api('POST', '/api/voice/transcribe', { query: { language }, body: form });
  const get = async () => (await api('GET', '/api/voice/transcriptions/{id}', { params: { id: first.id } })).data;
  return untilFinished(first, get, onProgress);
}

/** `text` read aloud by the server (`POST /api/voice/synthesize`), as WAV bytes. */
export async function synthesize(text: string): Promise<Blob> {
  const res = await withSession((accessToken) =>
    send('POST', '/api/voice/synthesize', { body: { text, format: 'wav' }, accessToken, accept: 'audio/wav' }),
  );
  return res.blob();
}

export interface ImageUploadProgress {
  /** `uploading` while the bytes go up (with `fraction` sent), `analyzing` while the server works on them. */
  phase: 'uploading' | 'analyzing';
  fraction: number;
}

/**
 * An image analysed and kept with the conversation (`POST /api/image/analyze?conversationId=`), with
 * upload progress (XMLHttpRequest: fetch reports none), then waited for when the server queued it.
 */
export async function analyzeImage(
  file: File,
  conversationId: string,
  onProgress: (progress: ImageUploadProgress) => void,
): Promise<ImageAnalysis> {
  const path = `/api/image/analyze?conversationId=${encodeURIComponent(conversationId)}`;
  const first = await withSession((accessToken) => uploadWithProgress(path, 'image', file, accessToken, onProgress));
  const get = async () => (await api('GET', '/api/image/analyses/{id}', { params: { id: first.id } })).data;
  return untilFinished(first, get, (fraction) => onProgress({ phase: 'analyzing', fraction }));
}

function uploadWithProgress(
  path: string,
  field: string,
  file: File,
  accessToken: string | undefined,
  onProgress: (progress: ImageUploadProgress) => void,
): Promise<ImageAnalysis> {
  const form = new FormData();
  form.append(field, file, file.name);
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    request.setRequestHeader('Accept', 'application/json');
    if (accessToken) request.setRequestHeader('Authorization', `Bearer ${accessToken}`);
    request.responseType = 'json';
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress({ phase: 'uploading', fraction: event.loaded / event.total });
    });
    // Every byte is up: the server is reading the picture now.
    request.upload.addEventListener('load', () => onProgress({ phase: 'analyzing', fraction: 0 }));
    request.addEventListener('load', () => {
      const body = request.response as { data?: ImageAnalysis; error?: { code: string; message: string } } | null;
      if (request.status >= 200 && request.status < 300 && body?.data) resolve(body.data);
      else reject(new ApiError(request.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `HTTP ${request.status}`));
    });
    request.addEventListener('error', () =>
      reject(new ApiError(0, 'network_error', 'The server cannot be reached. Check your connection.')),
    );
    request.send(form);
  });
}
