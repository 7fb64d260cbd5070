import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runTool, type Tool } from './runTool.ts';
import { joinSegments, type Segment, type Transcript } from './types.ts';
import { pcmToWav } from './wav.ts';

/**
 * Search pruning: at most 3000 active HMMs and 5 word exits per frame, 2 Gaussians per codebook. On 30 s of
 * flite speech this cut the decode by about a third (9 s to 6 s on a busy two-core machine) for a word error
 * rate no worse within run-to-run noise (36–43 % pruned, 37–40 % not; bench/scenarios/voice.ts).
 */
const SEARCH_LIMITS = ['-maxhmmpf', '3000', '-maxwpf', '5', '-topn', '2'];

/** One word line of `-time yes`: the word (with `(2)` for an alternate pronunciation), start and end in seconds, confidence. */
const WORD_LINE = /^(\S+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)$/;
/** Markers, not words: utterance bounds, silence, noise and fillers. */
const NOT_A_WORD = /^(<s>|<\/s>|<sil>|\[.*\]|\+\+.*\+\+)$/;

/**
 * Transcribes 16 kHz mono PCM with Debian's pocketsphinx_continuous (US English model from
 * pocketsphinx-en-us). With `-time yes` it prints each utterance's words with their times; an utterance
 * (between `<s>` and `</s>`) becomes one segment. The model is loaded by every call (about half a
 * second), which is why long recordings are cut into few, long chunks rather than many short ones.
 */
export async function transcribeWithPocketsphinx(tool: Tool, pcm: Buffer, options: { signal?: AbortSignal } = {}): Promise<Transcript> {
  if (pcm.length === 0) return { text: '', segments: [] };
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-sphinx-'));
  try {
    const file = path.join(dir, 'audio.wav');
    await fs.writeFile(file, pcmToWav(pcm));
    const { stdout } = await runTool(tool, ['-infile', file, '-logfn', '/dev/null', '-time', 'yes', ...SEARCH_LIMITS], options);
    return parseTimedOutput(stdout.toString('utf8'));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** pocketsphinx_continuous's `-time yes` output as segments (one per utterance). */
export function parseTimedOutput(output: string): Transcript {
  const segments: Segment[] = [];
  let words: Array<{ word: string; start: number; end: number }> = [];
  const closeUtterance = () => {
    if (words.length > 0) {
      segments.push({
        startMs: Math.round(words[0]!.start * 1000),
        endMs: Math.round(words.at(-1)!.end * 1000),
        text: words.map((w) => w.word).join(' '),
      });
    }
    words = [];
  };
  for (const line of output.split('\n')) {
    const match = WORD_LINE.exec(line.trim());
    if (!match) continue;
    const [, token, start, end] = match;
    if (token === '<s>' || token === '</s>') closeUtterance();
    if (NOT_A_WORD.test(token!)) continue;
    words.push({ word: token!.replace(/\(\d+\)$/, ''), start: Number(start), end: Number(end) });
  }
  closeUtterance();
  return { text: joinSegments(segments), segments };
}
