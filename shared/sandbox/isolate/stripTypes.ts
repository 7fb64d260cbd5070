// Experimental in Node 22, and the only stripper built in; the workers start with its warning silenced.
// eslint-disable-next-line n/no-unsupported-features/node-builtins
import { stripTypeScriptTypes } from 'node:module';

/** TypeScript turned into JavaScript, or the message of the syntax error that stopped it. */
export type StrippedTypeScript = { code: string } | { syntaxError: string };

/**
 * Node's own TypeScript stripper (amaro/swc), in transform mode so that `enum` and `namespace` work.
 * It runs in the worker, never in the API process: it is synchronous WASM, and a pathological input
 * then stalls a worker the host can kill instead of the API.
 */
export function stripTypes(code: string): StrippedTypeScript {
  try {
    return { code: stripTypeScriptTypes(code, { mode: 'transform' }) };
  } catch (error) {
    // ERR_INVALID_TYPESCRIPT_SYNTAX and ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX carry the parser's message.
    return { syntaxError: error instanceof Error ? error.message : String(error) };
  }
}

/** The first call initialises the WASM module (~50–120 ms); a worker pays it at start, not on a run. */
export function warmUpTypeStripper(): void {
  stripTypes('enum Warm { Up }\ninterface Shape { side: number }\nconst area = <T extends Shape>(s: T): number => s.side ** 2;');
}
