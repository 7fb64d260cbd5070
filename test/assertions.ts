import { expect } from '@jest/globals';
import type { Response } from 'supertest';
import type { TestApp } from './http.ts';
import { bearer, type TestUser } from './factories.ts';

/** Every error answers `{ error: { code, message, ... } }` as JSON, and never leaks a stack trace. */
export function expectError(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(typeof res.body.error.message).toBe('string');
  expect(res.body.error).not.toHaveProperty('stack');
  expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
}

/** Requests made as a signed-in user. `app` is read at call time, so a suite may set it in beforeAll. */
export function requestsAs(app: () => TestApp) {
  return {
    get: (user: TestUser, path: string) => app().request.get(path).set(bearer(user)),
    post: (user: TestUser, path: string, body: object) => app().request.post(path).set(bearer(user)).send(body),
    patch: (user: TestUser, path: string, body: object) => app().request.patch(path).set(bearer(user)).send(body),
    del: (user: TestUser, path: string) => app().request.delete(path).set(bearer(user)),
  };
}
