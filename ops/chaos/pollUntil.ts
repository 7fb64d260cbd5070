/**
 * Polls `check` every 20 ms until it returns something other than undefined, and resolves with that;
 * rejects after `timeoutMs` naming `what` (and whatever `describe` adds about the state at that moment).
 */
export async function pollUntil<T>(check: () => T | undefined, timeoutMs: number, what: string, describe?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`chaos: ${what} not reached in ${timeoutMs} ms${describe ? `; ${describe()}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** As pollUntil, for an asynchronous check (a query, an HTTP call) that resolves true once the condition holds. */
export async function pollUntilAsync(check: () => Promise<boolean>, timeoutMs: number, what: string, intervalMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`chaos: ${what} not reached in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
