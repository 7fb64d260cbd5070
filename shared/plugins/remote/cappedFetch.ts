/**
 * A fetch whose response bodies fail with `response_too_large` past `maxBytes`, as they stream in: the
 * MCP client reads a response whole, and a server that sends a gigabyte must cost no more than the cap.
 */
export function cappedFetch(maxBytes: number): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!response.body) return response;
    let received = 0;
    // eslint-disable-next-line n/no-unsupported-features/node-builtins -- a global since Node 18 (the rule dates it by its stability label)
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        received += chunk.byteLength;
        if (received > maxBytes) controller.error(new Error(`response_too_large: more than ${maxBytes} bytes`));
        else controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(counter), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
