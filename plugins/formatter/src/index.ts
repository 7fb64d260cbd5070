import * as babel from 'prettier/plugins/babel';
import * as estree from 'prettier/plugins/estree';
import * as markdown from 'prettier/plugins/markdown';
import * as postcss from 'prettier/plugins/postcss';
import { format } from 'prettier/standalone';

/** Prettier's parser per language: TypeScript through Babel's (plugins/typescript alone is 0.9 MB more to load). */
const PARSERS = {
  javascript: 'babel',
  typescript: 'babel-ts',
  json: 'json',
  css: 'css',
  scss: 'scss',
  less: 'less',
  markdown: 'markdown',
} as const;

export default {
  tools: {
    async format_code(input: { code: string; language: keyof typeof PARSERS; printWidth?: number }) {
      try {
        const formatted = await format(input.code, {
          parser: PARSERS[input.language],
          plugins: [babel, estree, markdown, postcss],
          printWidth: input.printWidth ?? 80,
        });
        return { formatted, changed: formatted !== input.code };
      } catch (error) {
        // Prettier's syntax errors say where: line and column, with a code frame.
        throw new Error(`Cannot format this ${input.language}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      }
    },
  },
};
