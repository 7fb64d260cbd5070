import type { Actor } from '@shared/auth.ts';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augments the global Express namespace of @types/express
  namespace Express {
    interface Request {
      /** The authenticated principal, set by `authenticate()`. */
      actor?: Actor;
      /** The validated `{ body, params, query }`, set by `validate()`. */
      input?: unknown;
    }
  }
}

export {};
