import type { paths } from './api.generated.ts';

/**
 * Types for calling a route by the name the OpenAPI document gives it (`/api/conversations/{id}`), so
 * that the path, its parameters, the body and the answer are all checked against api.generated.ts:
 * a route that is renamed, removed or reshaped on the server breaks the web build.
 */

/** A route, as the OpenAPI document names it. */
export type ApiPath = keyof paths;

type LowerMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

/** The methods a route answers, spelled as on the wire (`GET`). */
export type MethodOf<P extends ApiPath> = {
  [M in LowerMethod]: [NonNullable<paths[P][M]>] extends [never] ? never : Uppercase<M>;
}[LowerMethod];

/** The OpenAPI operation behind a method on a route. */
export type Operation<P extends ApiPath, M extends MethodOf<P>> = NonNullable<paths[P][Extract<Lowercase<M>, LowerMethod>]>;

type SuccessStatus = 200 | 201 | 202 | 204;
type Responses<O> = O extends { responses: infer R } ? R : never;
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : undefined;

/** The JSON a successful call answers (`undefined` for 204). */
export type ResponseOf<P extends ApiPath, M extends MethodOf<P>> = JsonOf<
  Responses<Operation<P, M>>[Extract<keyof Responses<Operation<P, M>>, SuccessStatus>]
>;

/** The request body: JSON as documented, or FormData for a multipart upload; never when it takes none. */
type BodyOf<O> = O extends { requestBody: { content: infer C } }
  ? C extends { 'application/json': infer B }
    ? B
    : C extends { 'multipart/form-data': unknown }
      ? FormData
      : never
  : never;
type ParametersOf<O, K extends 'path' | 'query'> = O extends { parameters: infer Q } ? (K extends keyof Q ? Q[K] : undefined) : undefined;

/** A key of the options, left out when the route has no such part and optional when the route says so. */
type Part<K extends string, V> = [V] extends [never]
  ? unknown
  : [V] extends [undefined]
    ? unknown
    : undefined extends V
      ? { [_ in K]?: NonNullable<V> }
      : { [_ in K]: V };

/** What a call passes besides method and route: path parameters, query and body, as the route takes them. */
export type CallOptions<P extends ApiPath, M extends MethodOf<P>> = Part<'params', ParametersOf<Operation<P, M>, 'path'>> &
  Part<'query', ParametersOf<Operation<P, M>, 'query'>> &
  Part<'body', BodyOf<Operation<P, M>>>;

/** The options argument: optional when every part of it is. */
export type CallArguments<P extends ApiPath, M extends MethodOf<P>> =
  object extends CallOptions<P, M> ? [options?: CallOptions<P, M>] : [options: CallOptions<P, M>];

/** The parts of CallOptions that build the URL, untyped: what routeUrl reads. */
export interface UrlParts {
  params?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

/** The URL of a route: `{name}` segments filled (encoded) from `params`, then the query without its undefined values. */
export function routeUrl(path: ApiPath, { params, query }: UrlParts = {}): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params?.[name];
    // The types require every parameter; this guards against a caller that cast its way past them.
    if (value === undefined) throw new Error(`${path}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(key, String(value));
  const queryString = search.toString();
  return queryString ? `${filled}?${queryString}` : filled;
}
