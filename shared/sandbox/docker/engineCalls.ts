/** The HTTP status of a failed engine call, as docker-modem puts it on the error (`statusCode`), if any. */
export function engineErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('statusCode' in error)) return undefined;
  return typeof error.statusCode === 'number' ? error.statusCode : undefined;
}

/**
 * Waits for `promise` but no longer than `ms`: resolves when it settles (rejecting with it) or when the
 * time is up, whichever comes first, and leaves no timer behind either way.
 */
export async function withinMs(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([promise, timeUp]);
  } finally {
    clearTimeout(timer);
  }
}
