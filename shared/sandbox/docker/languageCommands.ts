import type { Language } from '../types.ts';

/** The official image of each language unless the operator names another; pull them beforehand, nothing is pulled at run time. */
export const DEFAULT_IMAGES: Record<Language, string> = {
  javascript: 'node:22-alpine',
  typescript: 'node:22-alpine',
  python: 'python:3.12-alpine',
  ruby: 'ruby:3.3-alpine',
  go: 'golang:1.23-alpine',
  bash: 'bash:5',
};

/** How one language's program is run once its source is at `file` in the run's /tmp. */
export interface LanguageCommand {
  /** Where the program's source is written, inside the container's tmpfs. */
  file: string;
  /** The shell command (sh syntax) that runs it; it replaces the shell through `exec`. */
  command: string;
  /** Variables the toolchain needs beyond the image's own (the image's PATH and friends are kept by the engine). */
  env: string[];
  /** The variable in which the official image states its runtime's full version (the tag says only `3.12`). */
  versionVariable: string;
}

export const LANGUAGE_COMMANDS: Record<Language, LanguageCommand> = {
  javascript: { file: '/tmp/program.js', command: 'node /tmp/program.js', env: [], versionVariable: 'NODE_VERSION' },
  // Node 22's own type stripping, in its transforming mode so that enums and namespaces work too; no
  // transpiler in the image, and its time counts because it happens inside the run.
  typescript: {
    file: '/tmp/program.ts',
    command: 'node --experimental-transform-types --disable-warning=ExperimentalWarning /tmp/program.ts',
    env: [],
    versionVariable: 'NODE_VERSION',
  },
  python: { file: '/tmp/program.py', command: 'python3 /tmp/program.py', env: [], versionVariable: 'PYTHON_VERSION' },
  ruby: { file: '/tmp/program.rb', command: 'ruby /tmp/program.rb', env: [], versionVariable: 'RUBY_VERSION' },
  // Compiled and run inside the container, so the compile counts against every limit. The build cache
  // must be writable and the root is not; GOMAXPROCS=1 keeps the compiler's threads under PidsLimit on a
  // many-core host; GOTOOLCHAIN=local stops go from looking for another toolchain.
  go: {
    file: '/tmp/program.go',
    command: 'go run /tmp/program.go',
    env: ['GOCACHE=/tmp/.gocache', 'GOPATH=/tmp/.gopath', 'GOTMPDIR=/tmp', 'GOMAXPROCS=1', 'GOTOOLCHAIN=local', 'GOFLAGS=-buildvcs=false'],
    versionVariable: 'GOLANG_VERSION',
  },
  bash: { file: '/tmp/program.sh', command: 'bash /tmp/program.sh', env: [], versionVariable: '_BASH_VERSION' },
};

/**
 * The environment variable that carries the source's `index`th chunk. Linux refuses any one
 * environment string over 128 KiB (MAX_ARG_STRLEN), and code may be 256 KiB, so the source travels in
 * several variables.
 */
export function codeVariable(index: number): string {
  return `SANDBOX_CODE_${index}`;
}
