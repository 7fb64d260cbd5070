import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LanguageRuntime } from '../types.ts';
import { PROCESS_LANGUAGES, type ProcessLanguage } from './languages.ts';

const run = promisify(execFile);

/** The languages whose interpreter is installed here, each with the version it reports; a missing one is left out. */
export async function detectRuntimes(): Promise<{ language: ProcessLanguage; runtime: LanguageRuntime }[]> {
  const found = await Promise.all(
    PROCESS_LANGUAGES.map(async (language) => {
      try {
        const { stdout, stderr } = await run(language.executable, language.versionArgs, {
          env: { PATH: '/usr/bin:/bin' },
          timeout: 10_000,
        });
        const version = language.versionPattern.exec(stdout + stderr)?.[1];
        return version ? { language, runtime: { language: language.language, version } } : null;
      } catch {
        return null;
      }
    }),
  );
  return found.filter((entry) => entry !== null);
}
