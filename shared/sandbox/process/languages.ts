import type { Language, SandboxLimits } from '../types.ts';

/** Where the program lands inside the sandbox: the private /tmp, the only writable place. */
export const SOURCE_DIR = '/tmp';

/** The Go build cache inside the sandbox; it must be the same path when warming and when running (Go keys its cache by path). */
export const GO_CACHE_DIR = '/tmp/gocache';

const MiB = 1024 * 1024;

/** How one language runs inside the sandbox. */
export interface ProcessLanguage {
  language: Language;
  /** Absolute path of the interpreter or tool, never one looked up on PATH (PATH may hold a pyenv shim). */
  executable: string;
  /** Arguments that print the version, and the pattern that picks the version out of the output. */
  versionArgs: string[];
  versionPattern: RegExp;
  /** File name of the program inside SOURCE_DIR. */
  sourceFile: string;
  /**
   * Shell commands the sandbox's pid-1 shell runs the program with (as its child: never `exec`, which would make
   * the program pid 1, where it would ignore signals it has no handler for and reap nothing).
   */
  commandScript: (limits: SandboxLimits) => string;
  /** Extra environment inside the sandbox. */
  env: Record<string, string>;
  /** RLIMIT_AS for a run with this memory limit; the memory cgroup, when there is one, is the sharper limit. */
  addressSpaceBytes: (memoryBytes: number) => number;
  /** Processes/threads the toolchain needs on top of the program's own budget (Go's compiler is multi-threaded). */
  extraProcesses: number;
  /** RLIMIT_NOFILE the toolchain needs before the program runs (the program itself gets the run's limit), or null. */
  toolchainOpenFiles: number | null;
  /** Recognises, in stderr, the runtime's own report of running out of memory under RLIMIT_AS. */
  outOfMemoryPattern: RegExp | null;
}

/**
 * Interpreters get the memory limit plus 256 MiB of address space: RLIMIT_AS counts reservations (thread stacks,
 * malloc arenas), not use, so an exact cap would fail programs that use far less. Measured: python and ruby start in 64 MiB.
 */
const interpreterAddressSpace = (memoryBytes: number): number => memoryBytes + 256 * MiB;

/**
 * Go's runtime reserves ~700 MiB of address space before it runs a line (measured: a hello world fails at 640 MiB with
 * "failed to reserve page summary memory", runs at 768 MiB; `go build` likewise), so RLIMIT_AS cannot hold Go's memory:
 * the cgroup does. Without a cgroup a Go program may use up to this much.
 */
const goAddressSpace = (memoryBytes: number): number => memoryBytes + 1024 * MiB;

/**
 * Go settings shared by the cache warm-up and every run: any difference would miss the cache. CGO_ENABLED stays at its
 * default on purpose: Debian's GOROOT ships the standard library precompiled with cgo, and CGO_ENABLED=0 made `net`,
 * `crypto/x509` and everything above them recompile into the 10 MiB /tmp ("no space left on device").
 */
export const GO_ENV: Record<string, string> = {
  GOCACHE: GO_CACHE_DIR,
  GOPATH: '/tmp/go',
  GOPROXY: 'off',
  GOMAXPROCS: '2',
  // Go 1.19 keeps an index of GOROOT's packages in GOCACHE; with the cache read-only, every package the warm-up did not
  // index was reported "not in GOROOT" (measured with net/http, regexp). Without the index the build reads GOROOT itself.
  GODEBUG: 'goindex=0',
};

/**
 * Build, then run: a compile error exits 1 with the compiler's message on stderr, and the build's time counts. `go build`
 * opens more than 64 files at once (measured: "too many open files" now and then), so the run's script gives the build
 * GO_BUILD_OPEN_FILES and the program is lowered to the run's own limit here.
 */
const goBuildAndRun = (limits: SandboxLimits): string =>
  `go build -o ${SOURCE_DIR}/main ${SOURCE_DIR}/main.go || exit 1\nulimit -n ${limits.openFiles} && ${SOURCE_DIR}/main`;
const GO_BUILD_OPEN_FILES = 1024;

export const PROCESS_LANGUAGES: readonly ProcessLanguage[] = [
  {
    language: 'python',
    executable: '/usr/bin/python3',
    versionArgs: ['--version'],
    versionPattern: /Python (\d+\.\d+\.\d+)/,
    sourceFile: 'main.py',
    // -I ignores PYTHON* variables and user site-packages; -S skips site (measured: 8-10 ms of startup).
    commandScript: () => `/usr/bin/python3 -I -S ${SOURCE_DIR}/main.py`,
    env: { PYTHONDONTWRITEBYTECODE: '1' },
    addressSpaceBytes: interpreterAddressSpace,
    extraProcesses: 0,
    toolchainOpenFiles: null,
    outOfMemoryPattern: /^MemoryError\b/m,
  },
  {
    language: 'ruby',
    executable: '/usr/bin/ruby',
    versionArgs: ['--version'],
    versionPattern: /ruby (\d+\.\d+\.\d+)/,
    sourceFile: 'main.rb',
    // --disable-gems saves ~50 ms of startup; the standard library (json, set, …) still loads.
    commandScript: () => `/usr/bin/ruby --disable-gems ${SOURCE_DIR}/main.rb`,
    env: {},
    addressSpaceBytes: interpreterAddressSpace,
    extraProcesses: 0,
    toolchainOpenFiles: null,
    outOfMemoryPattern: /failed to allocate memory \(NoMemoryError\)/,
  },
  {
    language: 'go',
    executable: '/usr/bin/go',
    versionArgs: ['version'],
    versionPattern: /go(\d+\.\d+(?:\.\d+)?)/,
    sourceFile: 'main.go',
    commandScript: goBuildAndRun,
    env: GO_ENV,
    addressSpaceBytes: goAddressSpace,
    extraProcesses: 64,
    toolchainOpenFiles: GO_BUILD_OPEN_FILES,
    outOfMemoryPattern: /^fatal error: runtime: out of memory/m,
  },
  {
    language: 'bash',
    executable: '/bin/bash',
    versionArgs: ['--version'],
    versionPattern: /version (\d+\.\d+\.\d+)/,
    sourceFile: 'main.sh',
    commandScript: () => `/bin/bash ${SOURCE_DIR}/main.sh`,
    env: {},
    addressSpaceBytes: interpreterAddressSpace,
    extraProcesses: 0,
    toolchainOpenFiles: null,
    outOfMemoryPattern: /bash: xmalloc: .*cannot allocate/,
  },
];
