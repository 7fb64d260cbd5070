// The REST API's shapes, read from the types the root generates out of the OpenAPI document
// (`npm run api:types` at the repository root writes web/src/api.generated.ts): generated, never copied.
// A type-only import, erased when the app is bundled, so the app ships no file from outside mobile/.
import type { components } from '../../../web/src/api.generated';

type Schemas = components['schemas'];
export type User = Schemas['User'];
export type Session = Schemas['Session'];
export type Conversation = Schemas['Conversation'];
export type Message = Schemas['Message'];
export type Workspace = Schemas['Workspace'];
export type CreatedShare = Schemas['CreatedShare'];
export type Device = Schemas['Device'];
/** The `pagination` part of every list answer. */
export type Pagination = { nextCursor: string | null };
/** Every list answers this shape. */
export type Page<T> = { data: T[]; pagination: Pagination };
