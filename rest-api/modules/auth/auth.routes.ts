import type { Services } from '@shared/services.ts';
import { NotFoundError } from '@shared/errors.ts';
import type { ApiRouter } from '../../http/apiRouter.ts';
import { dataOf } from '../../http/schemas.ts';
import { LoginSchema, RefreshTokenSchema, RegisterSchema, SessionSchema, UserSchema } from './auth.schemas.ts';
import { createAuthRateLimit } from './auth.limits.ts';
import { loginUser } from './loginUser.ts';
import { logoutEverywhere, logoutSession } from './logoutSession.ts';
import { refreshSession } from './refreshSession.ts';
import { registerUser } from './registerUser.ts';
import { presentSession, presentUser } from './user.presenter.ts';
import { findUserById } from './users.repo.ts';

/** Accounts and sessions: register, login, refresh, logout, me. */
export function authRoutes(api: ApiRouter, services: Services): void {
  const { db, bus } = services;
  const settings = { tokens: services.tokens, refreshTokenTtlDays: services.config.REFRESH_TOKEN_TTL_DAYS };

  api.route(
    {
      method: 'post',
      path: '/api/auth/register',
      tag: 'auth',
      auth: false,
      summary: 'Create an account and sign in',
      request: RegisterSchema,
      before: [createAuthRateLimit(services, 'register')],
      errors: [409, 429],
      responses: { 201: { description: 'Account created', schema: dataOf(SessionSchema) } },
    },
    async (req, res) => {
      res.status(201).json({ data: presentSession(await registerUser(db, settings, { ...req.input.body, ip: req.ip })) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/auth/login',
      tag: 'auth',
      auth: false,
      summary: 'Sign in with email and password',
      request: LoginSchema,
      before: [createAuthRateLimit(services, 'login')],
      errors: [401, 429],
      responses: { 200: { description: 'Signed in', schema: dataOf(SessionSchema) } },
    },
    async (req, res) => {
      res.json({ data: presentSession(await loginUser(db, settings, { ...req.input.body, ip: req.ip })) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/auth/refresh',
      tag: 'auth',
      auth: false,
      summary: 'Exchange a refresh token for a new pair (the old one is spent)',
      request: RefreshTokenSchema,
      errors: [401],
      responses: { 200: { description: 'New session tokens', schema: dataOf(SessionSchema) } },
    },
    async (req, res) => {
      const session = await refreshSession(db, settings, {
        refreshToken: req.input.body.refreshToken,
        ip: req.ip,
        bus,
        revocations: services.revocations,
      });
      res.json({ data: presentSession(session) });
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/auth/logout',
      tag: 'auth',
      auth: false,
      summary: 'End the session of a refresh token',
      request: RefreshTokenSchema,
      responses: { 204: { description: 'Signed out (also for an unknown token)' } },
    },
    async (req, res) => {
      await logoutSession(db, { refreshToken: req.input.body.refreshToken, ip: req.ip });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/auth/logout-all',
      tag: 'auth',
      summary: 'Sign out on every device',
      responses: { 204: { description: 'Every refresh token revoked; access tokens issued until now refused (session_revoked)' } },
    },
    async (req, res) => {
      await logoutEverywhere(db, { bus, revocations: services.revocations }, { userId: req.actor.id, ip: req.ip });
      res.status(204).end();
    },
  );

  api.route(
    {
      method: 'get',
      path: '/api/auth/me',
      tag: 'auth',
      summary: 'The signed-in user',
      responses: { 200: { description: 'The user', schema: dataOf(UserSchema) } },
      errors: [404],
    },
    async (req, res) => {
      const user = await findUserById(db, req.actor.id);
      if (!user) throw new NotFoundError('User not found');
      res.json({ data: presentUser(user) });
    },
  );
}
