declare global {
  /** Node's fetch, put there by test/environment.js. */
  var nodeFetch: typeof fetch;
}

/** Node's real fetch (expo's runtime has replaced the global one in tests; see test/environment.js). */
export const realFetch: typeof fetch = (input, init) => globalThis.nodeFetch(input, init);
