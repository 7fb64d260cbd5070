// @ts-check
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import n from 'eslint-plugin-n';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

/**
 * ESLint for the whole tree, type-aware (typescript-eslint's recommendedTypeChecked), with Node's rules
 * (eslint-plugin-n) for everything but the browser client. Formatting is Prettier's (`npm run format`);
 * eslint-config-prettier turns off every rule that would argue with it.
 */
export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'web/dist/',
      'data/',
      'coverage/',
      'scratch/',
      'plugins/.build/',
      'bench/results/',
      'web/src/api.generated.ts',
      // Its own package, type-checked against its own dependencies by mobile/ci.sh (a fresh clone has none here).
      'mobile/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: path.dirname(fileURLToPath(import.meta.url)) },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      // Yjs types print their content with toString(); their typings do not say so.
      '@typescript-eslint/no-base-to-string': ['error', { ignoredTypeNames: ['YText', 'YXmlFragment', 'YXmlText', 'YXmlElement'] }],
      // Hocuspocus hooks and Express handlers are async by contract, whether or not this one awaits.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.ts', '**/*.js'],
    ignores: ['web/src/**'],
    ...n.configs['flat/recommended-module'],
    languageOptions: { globals: globals.node },
    rules: {
      ...n.configs['flat/recommended-module'].rules,
      // Only shared/config.ts reads the environment (CONVENTIONS.md › Config).
      'n/no-process-env': 'error',
      // TypeScript resolves imports (with their .ts extensions); the plugin's resolver does not.
      'n/no-missing-import': 'off',
      'n/no-unpublished-import': 'off',
      'n/no-extraneous-import': 'off',
      'n/no-unsupported-features/node-builtins': ['error', { version: '>=22.12.0', ignores: ['WebSocket'] }],
      'n/no-process-exit': 'off',
      'n/hashbang': 'off',
    },
  },
  {
    files: ['shared/config.ts'],
    rules: { 'n/no-process-env': 'off' },
  },
  {
    files: ['web/src/**/*.ts'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Plain JavaScript configuration files: no type information to lint with.
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Callbacks handed to page.evaluate run in the browser, not in Node.
    files: ['e2e/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: { 'n/no-unsupported-features/node-builtins': 'off' },
  },
  {
    files: ['**/*.test.ts', '**/*.fixtures.ts', 'test/**', 'e2e/**', 'bench/**'],
    rules: {
      // Tests and benchmarks reach into loosely typed payloads (JSON bodies, jest matchers) all the time.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  prettier,
  {
    // Prettier wraps code at 140 columns but never comments or long strings; this keeps those in bounds
    // too (eslint-config-prettier turns max-len off, so it is turned back on after it).
    rules: { 'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true }] },
  },
);
