import type { ContainerCreateOptions } from 'dockerode';
import type { RunRequest } from '../types.ts';
import { LANGUAGE_COMMANDS, codeVariable } from './languageCommands.ts';

/** The label every sandbox container carries, so an operator can find (and prune) ours: `docker ps -af label=…`. */
export const SANDBOX_LABEL = 'com.twinmcp.collab.sandbox';

/** nobody:nogroup in Alpine and Debian images alike; never root, never a uid that owns anything in the image. */
export const SANDBOX_USER = '65534:65534';

/** Base64 characters per environment variable: well under Linux's 128 KiB for one variable, name included. */
const CODE_CHUNK_CHARS = 96 * 1024;

/**
 * The create body for one run. The root filesystem is read-only, so the program cannot be copied in
 * before start (the engine's archive API writes to the image layer, not to the tmpfs that only exists
 * once the container runs). Instead the source travels base64-encoded in environment variables, and
 * `sh -c` decodes it into /tmp, unsets them and `exec`s the interpreter: the program sees a minimal
 * environment and its interpreter is the container's main process, so its exit code and signal are the
 * container's.
 */
export function containerConfig(image: string, request: RunRequest): ContainerCreateOptions {
  const { limits } = request;
  const language = LANGUAGE_COMMANDS[request.language];
  const chunks = chunk(Buffer.from(request.code, 'utf8').toString('base64'), CODE_CHUNK_CHARS);
  const names = chunks.map((_, index) => codeVariable(index));
  const script = [
    'set -e',
    'umask 077',
    `printf '%s' ${names.map((name) => `"$${name}"`).join(' ')} | base64 -d > ${language.file}`,
    `unset ${names.join(' ')}`,
    `exec ${language.command}`,
  ].join('\n');
  return {
    Image: image,
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: [script],
    User: SANDBOX_USER,
    WorkingDir: '/tmp',
    Env: ['HOME=/tmp', 'LANG=C.UTF-8', ...language.env, ...chunks.map((part, index) => `${names[index]}=${part}`)],
    Labels: { [SANDBOX_LABEL]: 'code-execution', [`${SANDBOX_LABEL}.language`]: request.language },
    // Multiplexed stdout/stderr (no TTY) and a stdin that closes when our side of the attach closes.
    Tty: false,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    NetworkDisabled: true,
    HostConfig: {
      NetworkMode: 'none',
      Memory: limits.memoryBytes,
      // Equal to Memory: no swap on top, so the memory limit is the whole budget.
      MemorySwap: limits.memoryBytes,
      NanoCpus: 1_000_000_000,
      PidsLimit: limits.processes,
      ReadonlyRootfs: true,
      // No noexec: `go run` executes the binary it builds in /tmp.
      Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${limits.fileBytes}` },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      // nproc counts every process of uid 65534 in the kernel, other runs' too; PidsLimit is the
      // per-container bound, nproc a second fence. A soft cpu limit one second under the hard one sends
      // SIGXCPU first, which we report as the time limit.
      Ulimits: [
        { Name: 'nofile', Soft: limits.openFiles, Hard: limits.openFiles },
        { Name: 'nproc', Soft: limits.processes, Hard: limits.processes },
        { Name: 'fsize', Soft: limits.fileBytes, Hard: limits.fileBytes },
        { Name: 'cpu', Soft: limits.cpuSeconds, Hard: limits.cpuSeconds + 1 },
      ],
      // We remove the container ourselves once its state is read: AutoRemove would race the inspect
      // that tells an OOM kill from a plain exit.
      AutoRemove: false,
    },
  };
}

function chunk(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let start = 0; start < text.length; start += size) chunks.push(text.slice(start, start + size));
  return chunks.length > 0 ? chunks : [''];
}
