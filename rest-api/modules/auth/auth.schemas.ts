import { z } from 'zod';
import { Email, Text } from '../../http/schemas.ts';

// Upper bound keeps a single request from buying seconds of argon2 time.
const Password = Text().min(8, 'must be at least 8 characters').max(256);

export const RegisterSchema = z.object({
  body: z.strictObject({ email: Email, password: Password, name: Text().trim().min(1).max(100) }),
});
export type RegisterInput = z.infer<typeof RegisterSchema>['body'];

export const LoginSchema = z.object({
  body: z.strictObject({ email: Email, password: Text().min(1).max(256) }),
});
export type LoginInput = z.infer<typeof LoginSchema>['body'];

export const RefreshTokenSchema = z.object({
  body: z.strictObject({ refreshToken: Text().min(1).max(200) }),
});

export const UserSchema = z.object({ id: z.uuid(), email: z.string(), name: z.string(), createdAt: z.iso.datetime() }).meta({ id: 'User' });

export const SessionSchema = z
  .object({
    accessToken: z.string().describe('JWT for `Authorization: Bearer`'),
    refreshToken: z.string().describe('Single-use; exchange at /api/auth/refresh for a new pair'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('Access token lifetime in seconds'),
    user: UserSchema,
  })
  .meta({ id: 'Session' });
