import fs from 'node:fs/promises';
import type { TestApp } from '../../../test/http.ts';
import { bearer, type TestUser } from '../../../test/factories.ts';

/** The words of a text, lower case, without punctuation. */
export const wordsOf = (text: string) => text.toLowerCase().match(/[a-z']+/g) ?? [];

/** The share of `expected`'s words found in `heard`: recognition is loose, so tests ask for most, not all. */
export function shareOfWordsHeard(expected: string, heard: string): number {
  const said = wordsOf(expected);
  const got = new Set(wordsOf(heard));
  return said.filter((word) => got.has(word)).length / said.length;
}

/** `POST /api/voice/transcribe` with one file, and query parameters. */
export async function transcribe(t: TestApp, user: TestUser, file: string | Buffer, query: Record<string, string> = {}) {
  const bytes = typeof file === 'string' ? await fs.readFile(file) : file;
  const search = new URLSearchParams(query).toString();
  return t.request
    .post(`/api/voice/transcribe${search ? `?${search}` : ''}`)
    .set(bearer(user))
    .attach('audio', bytes, {
      filename: typeof file === 'string' ? file.split('/').at(-1)! : 'audio.bin',
      contentType: 'application/octet-stream',
    });
}

/** Polls a transcription until `done` holds, returning every state seen on the way. */
export async function waitForTranscription(
  t: TestApp,
  user: TestUser,
  id: string,
  done: (data: { status: string; progress: number }) => boolean,
  timeoutMs = 120_000,
) {
  const seen: Array<{ status: string; progress: number }> = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.request.get(`/api/voice/transcriptions/${id}`).set(bearer(user));
    if (res.status !== 200) throw new Error(`GET transcription: ${res.status} ${JSON.stringify(res.body)}`);
    seen.push({ status: res.body.data.status, progress: res.body.data.progress });
    if (done(res.body.data)) return { data: res.body.data, seen };
    if (Date.now() > deadline) throw new Error(`transcription not done within ${timeoutMs} ms; saw ${JSON.stringify(seen.slice(-5))}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
