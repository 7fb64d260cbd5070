import type { DocumentExecution } from '@shared/documents/conversationDocument.ts';

/** How much of each stream the message text quotes; the whole output is in the message's `execution`. */
const QUOTED_CHARS = 4_000;

const LIMIT_WORDS = {
  time: 'stopped: time limit',
  memory: 'stopped: memory limit',
  output: 'stopped: output limit',
  processes: 'stopped: process limit',
} as const;

/**
 * The text of a `tool` message, for clients that show only `content` (the API, plain-text exports):
 * what ran, how it ended, and the start of its output. The web client renders `execution` instead.
 */
export function describeRun(run: DocumentExecution): string {
  const ending = run.limit ? LIMIT_WORDS[run.limit] : run.exitCode !== null ? `exit ${run.exitCode}` : `signal ${run.signal}`;
  const parts = [`Ran ${run.language} · ${ending} · ${run.durationMs} ms`];
  for (const [name, text] of [
    ['stdout', run.stdout],
    ['stderr', run.stderr],
  ] as const) {
    if (text === '') continue;
    const quoted = text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}\n…` : text;
    parts.push(`${name}:\n\`\`\`\n${quoted.replaceAll('```', '`\u200b``')}\n\`\`\``);
  }
  return parts.join('\n\n');
}
