import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ProcessLanguage } from './languages.ts';
import { runScript } from './runScript.ts';
import { launchSandbox } from './SandboxLauncher.ts';

const GiB = 1024 ** 3;

/** Our own program, built once at start so the standard packages it uses are in the cache every run reads. */
const WARM_UP_PROGRAM = `package main

import (
\t"bufio"
\t"encoding/json"
\t"fmt"
\t"math"
\t"os"
\t"sort"
\t"strconv"
\t"strings"
\t"time"
)

func main() {
\tr := bufio.NewReader(os.Stdin)
\tb, _ := json.Marshal([]int{1})
\tx := []string{"b", "a"}
\tsort.Strings(x)
\tfmt.Println(r.Size(), string(b), math.Pi, strconv.Itoa(1), strings.Join(x, ","), time.Second)
}
`;

/**
 * Builds a Go build cache on the host by compiling WARM_UP_PROGRAM inside the same sandbox layout every run uses (same
 * in-sandbox paths and GO_ENV: Go keys its cache by both). It runs with our own uid and a writable bind of the cache —
 * trusted code only; user runs get it read-only, so one run can never poison the next. Answers the host directory.
 */
export async function warmGoCache(go: ProcessLanguage): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'twinmcp-gocache-'));
  await fs.chmod(dir, 0o755);
  const limits = {
    wallTimeMs: 120_000,
    cpuSeconds: 120,
    memoryBytes: 4 * GiB,
    outputBytes: 65_536,
    processes: 4096,
    openFiles: 1024,
    fileBytes: GiB,
  };
  const outcome = await launchSandbox(
    { uid: null, cgroupJoin: null },
    { fileBytes: limits.fileBytes, programBytes: Buffer.byteLength(WARM_UP_PROGRAM), goCacheDir: dir, isGoCacheWritable: true },
    {
      script: runScript({
        language: go,
        limits,
        source: WARM_UP_PROGRAM,
        rlimits: { ...limits, addressSpaceBytes: go.addressSpaceBytes(limits.memoryBytes) },
      }),
      stdin: '',
      wallTimeMs: limits.wallTimeMs,
      outputBytes: limits.outputBytes,
    },
  );
  if (outcome.exitCode !== 0) {
    await fs.rm(dir, { recursive: true, force: true });
    throw new Error(`warming the Go build cache failed: ${outcome.stderr.slice(0, 500)}`);
  }
  return dir;
}
