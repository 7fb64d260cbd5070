import type { SandboxLimits } from '../types.ts';
import { BWRAP_ARGS_FD, PROGRAM_STDIN_FD } from './bwrapArgs.ts';
import { SOURCE_DIR, type ProcessLanguage } from './languages.ts';

/** Resource limits the sandbox's pid-1 shell sets with `ulimit` before it runs the program; every process of the run inherits them. */
export interface Rlimits {
  cpuSeconds: number;
  addressSpaceBytes: number;
  /** RLIMIT_NPROC: counted per uid across the whole host, not per sandbox (see BubblewrapBackend). */
  processes: number;
  openFiles: number;
  fileBytes: number;
}

export interface RunScriptOptions {
  language: ProcessLanguage;
  limits: SandboxLimits;
  source: string;
  rlimits: Rlimits;
}

/** Printed when the sandbox cannot be set up for the run: a backend failure, not the program's. */
export const LAUNCHER_FAILURE = 'twinmcp-sandbox-launcher: setup failed';
export const LAUNCHER_FAILURE_STATUS = 125;

/**
 * The script the sandbox's pid-1 shell reads when the run is handed over: it writes the program into /tmp (with the
 * shell's printf builtin: no exec), exports the language's environment, sets the run's rlimits with `ulimit` and runs the
 * language's command. The sandbox was started without rlimits (the launcher's are the API's own): lowering a limit is
 * always allowed, so whatever the run asks is set here, exactly, before anything of the user's runs. Core dumps are off
 * (a core_pattern pipe would run a host helper as root).
 */
export function runScript({ language, limits, source, rlimits }: RunScriptOptions): string {
  const fail = `{ echo '${LAUNCHER_FAILURE}' >&2; exit ${LAUNCHER_FAILURE_STATUS}; }`;
  const ulimits = [
    'ulimit -c 0',
    // Soft below hard: the program gets SIGXCPU at the limit (reported as 'time') rather than an anonymous SIGKILL.
    `ulimit -S -t ${rlimits.cpuSeconds}`,
    `ulimit -H -t ${rlimits.cpuSeconds + 1}`,
    `ulimit -v ${Math.ceil(rlimits.addressSpaceBytes / 1024)}`,
    `ulimit -p ${rlimits.processes}`,
    `ulimit -n ${rlimits.openFiles}`,
    `ulimit -f ${Math.ceil(rlimits.fileBytes / 512)}`,
  ];
  return [
    // bwrap's options are read; nothing of the run may inherit their descriptor.
    `exec ${BWRAP_ARGS_FD}<&-`,
    // A program that does not fit in /tmp fails like one that cannot be written: the shell's message, exit 1.
    `${writeFileCommand(`${SOURCE_DIR}/${language.sourceFile}`, source)} || exit 1`,
    ...Object.entries(language.env).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
    `{ ${ulimits.join(' && ')}; } || ${fail}`,
    // Inside the group fd 0 is the program's stdin; the shell's own fd 0 (this script) is put back after it.
    `{\n${language.commandScript(limits)}\n} 0<&${PROGRAM_STDIN_FD} ${PROGRAM_STDIN_FD}<&-`,
    '',
  ].join('\n');
}

/**
 * `printf` commands that write `text` byte for byte: single-quoted `%s` arguments, and `\000` in the format for each NUL
 * (no shell string can hold one).
 */
function writeFileCommand(file: string, text: string): string {
  const parts = text.split('\0').map((part) => `printf %s ${shellQuote(part)}`);
  return `{ ${parts.join(" && printf '\\000' && ")}; } > ${file}`;
}

/** One single-quoted shell word holding `text` literally. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
