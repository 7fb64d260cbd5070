import type { CodeLanguage } from './api.ts';

/** The languages the code runner takes, in the order the picker lists them, with the names people read. */
export const LANGUAGE_NAMES = {
  python: 'Python',
  javascript: 'JavaScript',
  typescript: 'TypeScript',
  ruby: 'Ruby',
  go: 'Go',
  bash: 'Bash',
} as const satisfies Record<CodeLanguage, string>;

/** Fence tags people write for each language (lower case), beyond the language's own name. */
const ALIASES: Record<string, CodeLanguage> = {
  js: 'javascript',
  node: 'javascript',
  ts: 'typescript',
  py: 'python',
  python3: 'python',
  rb: 'ruby',
  golang: 'go',
  sh: 'bash',
  shell: 'bash',
};

/** The runnable language a fence's tag (or a draft code block's `language`) names; null when none or unknown. */
export function runnableLanguage(tag: string | null | undefined): CodeLanguage | null {
  const name = tag?.trim().toLowerCase() ?? '';
  if (Object.hasOwn(LANGUAGE_NAMES, name)) return name as CodeLanguage;
  return Object.hasOwn(ALIASES, name) ? ALIASES[name]! : null;
}

/** A piece of a message: prose, or a fenced code block with the tag its fence gave (empty when none). */
export type ContentPart = { kind: 'text'; text: string } | { kind: 'code'; tag: string; code: string };

/** An opening fence: up to three spaces, then three or more backticks or tildes, then the info string. */
const OPENING_FENCE = /^ {0,3}(`{3,}|~{3,})([^`]*)$/;

/**
 * Splits message text into prose and fenced code blocks, as CommonMark fences them: a block closes at a
 * fence of the same character at least as long as the one that opened it, or at the end of the text.
 * The info string's first word is the tag (```python3 title="x" → python3).
 */
export function splitFencedCode(content: string): ContentPart[] {
  const parts: ContentPart[] = [];
  const lines = content.split('\n');
  let prose: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const opening = OPENING_FENCE.exec(lines[index]!);
    if (!opening) {
      prose.push(lines[index]!);
      continue;
    }
    const fence = opening[1]!;
    const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const code: string[] = [];
    index += 1;
    while (index < lines.length && !closing.test(lines[index]!)) code.push(lines[index++]!);
    pushProse();
    parts.push({ kind: 'code', tag: opening[2]!.trim().split(/\s+/)[0] ?? '', code: code.join('\n') });
  }
  pushProse();
  return parts;

  function pushProse(): void {
    // The blank lines around a fence are the fence's, not prose of their own.
    const text = prose.join('\n');
    if (text.trim() !== '') parts.push({ kind: 'text', text: text.replace(/^\n+|\n+$/g, '') });
    prose = [];
  }
}

/** A draft code block as message text: fenced, with its language, so the posted message shows it as code again. */
export function fenceCode(code: string, language: string | null): string {
  // A fence longer than any backtick run inside the code, so the code cannot close it early.
  const longestRun = Math.max(2, ...(code.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  return `${fence}${language ?? ''}\n${code}\n${fence}`;
}
