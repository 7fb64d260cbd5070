import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { measurementOfRuns } from '../lib/latency.ts';
import { signUp, withRestApp, type RestAppServer } from '../lib/servers.ts';
import type { LoadSettings, Scenario, TargetCheck } from '../lib/types.ts';
import { pcmToWav } from '../../shared/voice/wav.ts';

const run = promisify(execFile);
const execFileBuffer = promisify(execFile);

/** About thirty seconds of speech when flite says them one after the other. */
export const VOICE_BENCH_SENTENCES = [
  'the birch canoe slid on the smooth planks',
  'glue the sheet to the dark blue background',
  'it is easy to tell the depth of a well',
  'these days a chicken leg is a rare dish',
  'rice is often served in round bowls',
  'the juice of lemons makes fine punch',
  'the box was thrown beside the parked truck',
  'the hogs were fed chopped corn and garbage',
  'four hours of steady work faced us',
  'a large size in stockings is hard to sell',
  'the boy was there when the sun rose',
  'a rod is used to catch pink salmon',
];

/** Runs the scenario makes; each sends different bytes (a few more samples of trailing silence), so none is a cache hit. */
const runsFor = (load: LoadSettings) => Math.max(3, Math.min(10, load.durationSeconds));

/**
 * Word error rate: the word-level edit distance (substitutions, insertions, deletions) between what was
 * said and what was heard, over the number of words said.
 */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const said = reference.toLowerCase().match(/[a-z']+/g) ?? [];
  const heard = hypothesis.toLowerCase().match(/[a-z']+/g) ?? [];
  let previous = Array.from({ length: heard.length + 1 }, (_, j) => j);
  for (let i = 1; i <= said.length; i++) {
    const current = [i];
    for (let j = 1; j <= heard.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (said[i - 1] === heard[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return said.length === 0 ? 0 : previous[heard.length]! / said.length;
}

/** The recording: each sentence spoken by flite (slt), joined by ffmpeg into one 16 kHz mono WAV. */
async function speakSentences(dir: string): Promise<string> {
  const files: string[] = [];
  for (const [i, sentence] of VOICE_BENCH_SENTENCES.entries()) {
    const file = path.join(dir, `sentence-${i}.wav`);
    await run('flite', ['-voice', 'slt', '-t', sentence, '-o', file]);
    files.push(file);
  }
  const list = path.join(dir, 'list.txt');
  await fs.writeFile(list, files.map((file) => `file '${file}'`).join('\n'));
  const output = path.join(dir, 'speech.wav');
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', output]);
  return output;
}

/** The recording as WAV with `extraSamples` of silence more at its end: other bytes, the same speech once trimmed. */
const variant = (pcm: Buffer, extraSamples: number) => pcmToWav(Buffer.concat([pcm, Buffer.alloc(extraSamples * 2)]));

/** A WAV file's samples as raw 16 kHz mono s16le PCM. */
async function pcmOf(file: string): Promise<Buffer> {
  const { stdout } = await execFileBuffer(
    'ffmpeg',
    ['-hide_banner', '-loglevel', 'error', '-i', file, '-ac', '1', '-ar', '16000', '-f', 's16le', 'pipe:1'],
    {
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

interface Transcribed {
  ms: number;
  text: string;
  durationMs: number;
  engine: string;
}

async function transcribeThroughApi(app: RestAppServer, token: string, bytes: Buffer): Promise<Transcribed> {
  const form = new FormData();
  form.append('audio', new Blob([new Uint8Array(bytes)], { type: 'audio/wav' }), 'speech.wav');
  const started = performance.now();
  const res = await fetch(`${app.url}/api/voice/transcribe`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const body = (await res.json()) as { data: { text: string; durationMs: number; engine: string; cached: boolean } };
  const ms = performance.now() - started;
  if (res.status !== 200 || body.data.cached) throw new Error(`transcribe answered ${res.status} ${JSON.stringify(body)}`);
  return { ms, text: body.data.text, durationMs: body.data.durationMs, engine: body.data.engine };
}

/**
 * Transcription of about thirty seconds of flite speech through the API with the local engine (upload,
 * storage, ffmpeg decoding and trimming, chunks transcribed two at a time by pocketsphinx, the row written)
 * against the floor: pocketsphinx_continuous run bare on the same normalised WAV. The real-time factor
 * (processing ÷ audio length) is the goal, ≤ 0.5; the word error rate against the sentences is reported.
 */
export const voiceTranscription: Scenario = {
  id: 'voice',
  title: 'POST /api/voice/transcribe, ~30 s of flite speech, local engine, against bare pocketsphinx_continuous',
  targets: {},
  approximateSeconds: (load) => runsFor(load) * 8 + 20,
  async run(load) {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-bench-voice-'));
    try {
      const wav = await pcmOf(await speakSentences(dir));
      const runs = runsFor(load);
      const results: Transcribed[] = [];
      await withRestApp(
        async (app) => {
          const token = await signUp(app);
          // Warm-up: the first decode and model load read their files from disk.
          await transcribeThroughApi(app, token, variant(wav, 1));
          for (let i = 0; i < runs; i++) results.push(await transcribeThroughApi(app, token, variant(wav, 2 + i)));
        },
        { RATE_LIMIT_MEDIA_PER_USER: '100000' },
      );

      // The baseline: the same audio, normalised as the API does, given to the program bare.
      const normalised = path.join(dir, 'normalised.wav');
      const trim =
        'silenceremove=start_periods=1:start_threshold=-50dB,areverse,silenceremove=start_periods=1:start_threshold=-50dB,areverse';
      const source = path.join(dir, 'speech.wav');
      await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', source, '-ac', '1', '-ar', '16000', '-af', trim, normalised]);
      const bare: number[] = [];
      await run('pocketsphinx_continuous', ['-infile', normalised, '-logfn', '/dev/null']);
      for (let i = 0; i < runs; i++) {
        const started = performance.now();
        await run('pocketsphinx_continuous', ['-infile', normalised, '-logfn', '/dev/null', '-time', 'yes'], {
          maxBuffer: 16 * 1024 * 1024,
        });
        bare.push(performance.now() - started);
      }

      const audioMs = results[0]!.durationMs;
      const subject = measurementOfRuns(
        `REST app, ${results[0]!.engine}`,
        results.map((r) => r.ms),
      );
      const baseline = measurementOfRuns('bare pocketsphinx_continuous', bare);
      const rtf = subject.latencyMs.p50 / audioMs;
      const bareRtf = baseline.latencyMs.p50 / audioMs;
      const wer = wordErrorRate(VOICE_BENCH_SENTENCES.join(' '), results[0]!.text);
      const checks: TargetCheck[] = [{ name: 'real-time factor', target: '<= 0.5', actual: rtf, pass: rtf <= 0.5 }];
      const notes = [
        `audio ${(audioMs / 1000).toFixed(1)} s; real-time factor through the API ${rtf.toFixed(3)} ` +
          `(p50 ${subject.latencyMs.p50.toFixed(0)} ms), ` +
          `bare pocketsphinx ${bareRtf.toFixed(3)} (p50 ${baseline.latencyMs.p50.toFixed(0)} ms)`,
        `word error rate on ${VOICE_BENCH_SENTENCES.length} flite sentences: ${(wer * 100).toFixed(1)} %`,
        `heard: “${results[0]!.text}”`,
      ];
      return { subject, baseline, checks, notes };
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
};
