declare global {
  /** Node's fetch, put there by test/environment.js. */
  var nodeFetch: typeof fetch;
}

/** Node's real fetch (expo's runtime has replaced the global one in tests; see test/environment.js). */
export const realFetch: typeof fetch = (input, init) => globalThis.nodeFetch(input, init);

/**
 * A network that can lose answers: the request reaches the real server and is done there, but the
 * phone never hears back (it sees what React Native's fetch throws when a connection drops). This is
 * the train going into a tunnel between the server's commit and its answer.
 */
export function lossyFetch(): { fetch: typeof fetch; loseNextAnswer(method: string, path: RegExp): void; lost: string[] } {
  const toLose: Array<{ method: string; path: RegExp }> = [];
  const lost: string[] = [];
  return {
    lost,
    loseNextAnswer: (method, path) => void toLose.push({ method, path }),
    fetch: async (input, init) => {
      const res = await realFetch(input, init);
      const method = init?.method ?? 'GET';
      const { pathname } = new URL(urlOf(input));
      const index = toLose.findIndex((rule) => rule.method === method && rule.path.test(pathname));
      if (index === -1) return res;
      toLose.splice(index, 1);
      lost.push(`${method} ${pathname} ${res.status}`);
      throw new TypeError('Network request failed');
    },
  };
}

/** The URL a fetch was called with, whichever form it took. */
export function urlOf(input: string | URL | Request): string {
  if (typeof input === 'string') return input;
  return input instanceof URL ? input.href : input.url;
}
