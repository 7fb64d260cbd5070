/**
 * Run by BubblewrapBackend.unprivileged.test.ts as an unprivileged uid, standing in for an API that does not run as
 * root: starts a backend, runs a few programs and prints one JSON line `{ "describe": …, "results": { … } }` after
 * the backend's own log lines.
 */
import { createLogger } from '../../logger.ts';
import type { RunResult } from '../types.ts';
import { BubblewrapBackend } from './BubblewrapBackend.ts';
import { DEFAULT_LIMITS } from './testLimits.ts';

// sandboxUid is ignored when not root: the sandbox runs as whoever runs this.
const backend = new BubblewrapBackend({ sandboxUid: 65_534, slots: 1, log: createLogger({ LOG_LEVEL: 'info', LOG_PRETTY: false }) });
await backend.start();
const programs = {
  identity: "import os\nprint(os.getuid(), sorted(os.listdir('/')))",
  memoryBomb: 'a = []\nwhile True: a.append(" " * 1_000_000)',
  infiniteLoop: 'while True: pass',
  network: [
    'import socket',
    'try:',
    '    socket.create_connection(("127.0.0.1", 5432), 3); print("CONNECTED")',
    'except OSError as e:',
    '    print(type(e).__name__)',
  ].join('\n'),
};
const results: Record<string, RunResult> = {};
for (const [name, code] of Object.entries(programs)) {
  results[name] = await backend.run({ language: 'python', code, stdin: '', limits: { ...DEFAULT_LIMITS, wallTimeMs: 3_000 } });
}
results.go = await backend.run({
  language: 'go',
  code: 'package main\nimport "fmt"\nfunc main() { fmt.Println("go ok") }',
  stdin: '',
  limits: DEFAULT_LIMITS,
});
process.stdout.write(`${JSON.stringify({ describe: backend.describe(), results })}\n`);
await backend.close();
